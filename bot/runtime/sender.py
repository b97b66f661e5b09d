"""The outbox sender: Bot API limits, 429 `retry_after`, backoff on server errors, every outcome recorded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from aiolimiter import AsyncLimiter

from bot.runtime.api import Blocked, RetryLater, TelegramApi, Transient
from bot.runtime.workers import KeyedWorkers
from bot.store import outbox
from bot.store.database import Database
from bot.store.models import utcnow

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
                    chats = await outbox.due_chats(session, utcnow())
                for chat_id in chats:
                    self.workers.kick(chat_id)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=1.0)
        finally:
            await self.workers.cancel()

    async def _drain_chat(self, chat_id: int) -> None:
        while await self._send_next(chat_id):
            pass

    async def _send_next(self, chat_id: int) -> bool:
        """Send the chat's oldest pending row if it is due; True when the chat may have more."""
        async with self.db.transaction() as session:
            row = await outbox.next_for_chat(session, chat_id)
            if row is None or row.not_before > utcnow():
                return False
            row_id, action = row.id, outbox.decode(row)
        async with self.chat_limits.get(chat_id), self.global_limit:
            outcome: dict[str, object] = {}
            try:
                delivery = await self.api.perform(action)
            except RetryLater as error:
                outcome = {"retry_after": error.seconds}
            except Blocked as error:
                async with self.db.transaction() as session:
                    await outbox.mark_blocked(session, chat_id, str(error)[:300])
                log.info("chat blocked the bot; pending messages stopped", extra={"chat": chat_id})
                return False
            except Transient as error:
                outcome = {"transient": str(error)}
            except Exception as error:  # Rejected, or a bug in an adapter: never retried blindly
                outcome = {"failed": f"{type(error).__name__}: {error}"}
        async with self.db.transaction() as session:
            row = await session.get(outbox.OutboxMessage, row_id)
            if row is None:  # erased meanwhile by /forget
                return False
            if "retry_after" in outcome:
                wait = float(outcome["retry_after"])  # type: ignore[arg-type]
                row.not_before = utcnow() + timedelta(seconds=wait)
                row.last_error = f"429 retry after {wait:g}"
            elif "transient" in outcome:
                row.attempts += 1
                row.last_error = str(outcome["transient"])[:300]
                if row.attempts >= self.max_attempts:
                    row.status = outbox.FAILED
                else:
                    backoff = min(60.0, 0.5 * 2 ** (row.attempts - 1))
                    row.not_before = utcnow() + timedelta(seconds=backoff)
            elif "failed" in outcome:
                row.status, row.last_error = outbox.FAILED, str(outcome["failed"])[:300]
                row.attempts += 1
            elif row.purge_after_send:
                await session.delete(row)
            else:
                row.status, row.sent_at = outbox.SENT, utcnow()
                row.attempts += 1
                row.telegram_message_id = delivery.message_id
                if delivery.poll_id:
                    row.result = {"poll_id": delivery.poll_id}
        if "retry_after" in outcome:
            await asyncio.sleep(float(outcome["retry_after"]))  # type: ignore[arg-type]
            return True
        return "transient" not in outcome
