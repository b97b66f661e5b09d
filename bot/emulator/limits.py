"""Configurable Bot API limits and the token buckets that enforce the flood limits."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]


@dataclass
class Limits:
    """Telegram's limits, mutable so a test can tighten them at run time.

    Rates and bursts follow the Bot FAQ: about 1 message per second per chat with short bursts
    tolerated, and about 30 per second bot-wide.
    """

    max_text: int = 4096
    max_caption: int = 1024
    max_callback_data: int = 64
    max_callback_answer: int = 200
    global_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    global_burst: int = 30
    enabled: bool = True


@dataclass
class TokenBucket:
    """A bucket refilled continuously at `rate` tokens per second, holding at most `capacity`."""

    tokens: float
    updated: float

    def refill(self, now: float, rate: float, capacity: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(capacity, self.tokens + elapsed * rate)
        self.updated = now

    def wait_time(self, rate: float) -> float:
        """Seconds until one whole token is available (0 if one is there now)."""
        if self.tokens >= 1.0:
            return 0.0
        if rate <= 0:
            return math.inf
        return (1.0 - self.tokens) / rate


@dataclass
class RateLimiter:
    """Bot-wide and per-chat buckets; a send must find a token in both or get a retry delay.

    Buckets read the current `Limits` on every call, so changing them takes effect at once.
    """

    limits: Limits
    clock: Clock = time.monotonic
    _global: TokenBucket | None = None
    _chats: dict[int, TokenBucket] = field(default_factory=dict)

    def acquire(self, chat_id: int) -> int:
        """Take a token for `chat_id`; return 0 on success or the whole seconds to wait (>= 1)."""
        if not self.limits.enabled:
            return 0
        now = self.clock()
        limits = self.limits
        if self._global is None:
            self._global = TokenBucket(float(limits.global_burst), now)
        chat = self._chats.setdefault(chat_id, TokenBucket(float(limits.per_chat_burst), now))
        self._global.refill(now, limits.global_per_second, limits.global_burst)
        chat.refill(now, limits.per_chat_per_second, limits.per_chat_burst)
        wait = max(
            self._global.wait_time(limits.global_per_second),
            chat.wait_time(limits.per_chat_per_second),
        )
        if wait > 0:
            return max(1, math.ceil(wait)) if math.isfinite(wait) else 3600
        self._global.tokens -= 1.0
        chat.tokens -= 1.0
        return 0

    def reset(self) -> None:
        """Forget all buckets, e.g. after a test changed the limits."""
        self._global = None
        self._chats.clear()
