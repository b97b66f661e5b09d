"""The send budget: about 30 messages a second for the whole bot and about one a second per chat,
and one answer per button press.

One worker keeps it in memory (`LocalBudget`); several workers share it through Redis
(`RedisBudget`), since Telegram counts the bot's messages whichever process sends them, and takes
one answer per press whichever worker sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Protocol

from aiolimiter import AsyncLimiter

log = logging.getLogger(__name__)


ANSWER_MEMORY = 3600
"""Seconds a press is remembered as answered: Telegram refuses answers to older presses anyway."""


class SendBudget(Protocol):
    def slot(self, chat_id: int) -> contextlib.AbstractAsyncContextManager[None]:
        """Wait until one more message to `chat_id` fits the bot's and the chat's limits."""
        ...

    async def first_answer(self, query_id: str) -> bool:
        """True for the first caller, among all the bot's workers, to answer this button press: the
        worker that acknowledges it early, or the one sending its step's answer."""
        ...

    async def close(self) -> None: ...


class ChatLimiters:
    """A leaky bucket per chat (about 1 message a second, short bursts allowed), pruned when idle."""

    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second, self.burst = per_second, burst
        self._limiters: dict[int, tuple[AsyncLimiter, float]] = {}

    def get(self, chat_id: int) -> AsyncLimiter:
        now = time.monotonic()
        if len(self._limiters) > 5000:
            horizon = now - 2 * self.burst / self.per_second
            self._limiters = {k: v for k, v in self._limiters.items() if v[1] > horizon}
        limiter = self._limiters.get(chat_id, (None, 0.0))[0]
        if limiter is None:
            limiter = AsyncLimiter(self.burst, self.burst / self.per_second)
        self._limiters[chat_id] = (limiter, now)
        return limiter


class LocalBudget:
    """The budget of a worker that sends alone."""

    def __init__(self, global_per_second: float, chat_per_second: float, chat_burst: int) -> None:
        self.global_limit = AsyncLimiter(global_per_second, 1.0)
        self.chat_limits = ChatLimiters(chat_per_second, chat_burst)
        self._answered: dict[str, float] = {}

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        async with self.chat_limits.get(chat_id), self.global_limit:
            yield

    async def first_answer(self, query_id: str) -> bool:
        now = time.monotonic()
        if len(self._answered) > 10_000:
            self._answered = {q: t for q, t in self._answered.items() if t > now - ANSWER_MEMORY}
        if query_id in self._answered:
            return False
        self._answered[query_id] = now
        return True

    async def close(self) -> None:
        pass


# Two sliding windows (the bot's, the chat's), each a sorted set of send times in milliseconds by
# Redis's own clock: a send is admitted only when both have room, and then counted in both at once.
# Returns 0 when admitted, else the milliseconds until the fuller window has room.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local wait = 0
for i = 1, 2 do
  local limit, window = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = tonumber(redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')[2])
    wait = math.max(wait, oldest + window - now)
  end
end
if wait > 0 then return wait end
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 * i]))
end
return 0
"""

SLACK_MS = 150
"""Added to each window: a send is counted when its slot is taken, Telegram counts it when the call
arrives, and the time in between varies from call to call; without it, calls bunched on arrival
could exceed 30 in one second at Telegram although never in our count."""


class RedisBudget:
    """The budget shared by every worker of one bot through Redis (keys per bot id)."""

    def __init__(
        self, url: str, bot_id: int, global_per_second: float, chat_per_second: float, chat_burst: int
    ) -> None:
        from redis.asyncio import Redis  # noqa: PLC0415 (a worker alone never loads Redis's client)
        from redis.exceptions import RedisError  # noqa: PLC0415

        self.redis = Redis.from_url(url)
        self._unreachable: tuple[type[Exception], ...] = (RedisError, OSError)
        self.prefix = f"assembly-bot:{bot_id}:budget"
        self.global_limit, self.global_window = max(1, round(global_per_second)), 1000 + SLACK_MS
        self.chat_limit = max(1, chat_burst)
        self.chat_window = round(1000 * chat_burst / chat_per_second) + SLACK_MS
        self._take = self.redis.register_script(_TAKE)

    async def wait_ms(self, chat_id: int) -> int:
        """Take a slot for `chat_id` if there is one (0), else how long to wait before asking again."""
        keys = [f"{self.prefix}:all", f"{self.prefix}:chat:{chat_id}"]
        limits = [self.global_limit, self.global_window, self.chat_limit, self.chat_window]
        return int(await self._take(keys=keys, args=[*limits, uuid.uuid4().hex]))

    async def first_answer(self, query_id: str) -> bool:
        key = f"{self.prefix}:answered:{query_id}"
        try:
            return bool(await self.redis.set(key, 1, nx=True, ex=ANSWER_MEMORY))
        except self._unreachable as error:
            # A second answer is only refused by Telegram; a press left spinning is worse.
            log.warning("cannot share button answers through Redis (%s); answering", type(error).__name__)
            return True

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        backoff = 0.5
        while True:
            try:
                wait = await self.wait_ms(chat_id)
            except self._unreachable as error:
                log.warning("the send budget in Redis is unreachable (%s); retrying", type(error).__name__)
                await asyncio.sleep(backoff)
                backoff = min(2 * backoff, 10.0)
                continue
            if wait == 0:
                break
            await asyncio.sleep(wait / 1000)
        yield

    async def close(self) -> None:
        await self.redis.aclose()
