"""The outbox sender: Bot API limits, 429 `retry_after`, backoff on server errors, every outcome recorded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from aiolimiter import AsyncLimiter

from bot.store import outbox
from bot.store.database import Database
from bot.telegram.api import Blocked, RetryLater, TelegramApi, Transient
from bot.telegram.workers import KeyedWorkers
from flows.actions import Action, AnswerButton

log = logging.getLogger(__name__)


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


class OutboxSender:
    """Sends pending outbox rows, in order per chat, never more than the Bot API allows."""

    def __init__(
        self,
        db: Database,
        api: TelegramApi,
        *,
        global_per_second: float = 30.0,
        chat_per_second: float = 1.0,
        chat_burst: int = 3,
        max_attempts: int = 8,
        concurrency: int = 64,
    ) -> None:
        self.db, self.api, self.max_attempts = db, api, max_attempts
        self.global_limit = AsyncLimiter(global_per_second, 1.0)
        self.chat_limits = ChatLimiters(chat_per_second, chat_burst)
        self.workers = KeyedWorkers(self._drain_chat, concurrency)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Find chats with due messages and start a worker for each, until cancelled."""
        try:
            while True:
                self._wake.clear()
                async with self.db.transaction() as session:
                    chats = await outbox.due_chats(session)
                for chat_id in chats:
                    self.workers.kick(chat_id)
                # asyncio.timeout, not wait_for: Python 3.11's wait_for returns normally when the wake-up
                # and a cancellation coincide, and this loop would never stop (a hung shutdown).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        await self._wake.wait()
        finally:
            await self.workers.cancel()

    async def _drain_chat(self, chat_id: int) -> None:
        while await self._send_next(chat_id):
            pass

    async def _send_next(self, chat_id: int) -> bool:
        """Send the chat's oldest pending row if it is due; True when the chat may have more."""
        async with self.db.transaction() as session:
            queued = await outbox.next_due(session, chat_id)
        if queued is None:
            return False
        async with self._limits(chat_id, queued.action):
            try:
                delivery = await self.api.perform(queued.action)
            except Blocked as error:
                async with self.db.transaction() as session:
                    await outbox.mark_blocked(session, chat_id, str(error))
                log.info("chat %s blocked the bot; its pending messages are stopped", chat_id)
                return False
            except Exception as error:
                return await self._not_sent(queued.id, error)
        async with self.db.transaction() as session:
            await outbox.mark_sent(session, queued.id, delivery.message_id, delivery.poll_id)
        return True

    @contextlib.asynccontextmanager
    async def _limits(self, chat_id: int, action: Action) -> AsyncIterator[None]:
        """Wait for the buckets a call must pass. A button acknowledgement is not a message,
        so it waits for neither: Telegram's flood limits count messages and edits."""
        if isinstance(action, AnswerButton):
            yield
            return
        async with self.chat_limits.get(chat_id), self.global_limit:
            yield

    async def _not_sent(self, row_id: int, error: Exception) -> bool:
        """Reschedule after a 429 or a transient error, give up on anything else."""
        async with self.db.transaction() as session:
            if isinstance(error, RetryLater):
                await outbox.postpone(session, row_id, error.seconds, f"429 retry after {error.seconds:g} s")
            elif isinstance(error, Transient):
                await outbox.retry_or_fail(session, row_id, str(error), self.max_attempts)
            else:  # Rejected, or a bug in an adapter: retrying the same call cannot help
                log.warning("outbox row %s refused, not sent: %s", row_id, error)
                await outbox.mark_failed(session, row_id, f"{type(error).__name__}: {error}")
        if isinstance(error, RetryLater):
            await asyncio.sleep(error.seconds)
            return True
        return not isinstance(error, Transient)
