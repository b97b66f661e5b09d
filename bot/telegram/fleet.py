"""Several `assembly-bot run` workers of one bot on one PostgreSQL store, and one worker on SQLite.

On PostgreSQL every worker handles recorded updates and sends queued messages, each chat's in
order; one of them, the leader, polls the Bot API (Telegram refuses two getUpdates at once) and
sends the button answers. Leadership is an advisory lock on a connection of the leader's own: when
the leader dies, its connection and the lock go with it and another worker takes over. The send
budget is shared through Redis; a worker without REDIS_URL is the store's only worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime

from bot.store.database import Database
from bot.store.locks import (
    JOB_TURNS,
    SEND_TURNS,
    FleetRefused,
    Lease,
    Turns,
    advisory_key,
    claim_run,
    lock_sqlite_store,
)

__all__ = ["Fleet", "FleetRefused", "lock_sqlite_store"]

log = logging.getLogger(__name__)

LOOK = 1.0
"""Seconds between a follower's tries to lead; the leader checks its lease twice as often."""

HANDOVER = 1.5
"""Seconds a new leader waits, from taking the lease, before its first getUpdates: a leader that
lost its lease without dying (the store restarted) notices within `LOOK / 2` and stops polling, so
two polls never overlap. A worker that takes the lease as it joins waits it out while it prepares."""


STALLED = 5.0
"""Seconds the lease's connection may take to answer before the leader gives the lead up."""


class Fleet:
    """One worker's place among the workers of bot `bot_id` on the PostgreSQL store at `url`."""

    def __init__(self, url: str, bot_id: int, *, shared_budget: bool) -> None:
        self.bot_id, self.shared_budget = bot_id, shared_budget
        self._membership = Lease(url, advisory_key(bot_id, "workers"), shared=shared_budget)
        self._leadership = Lease(url, advisory_key(bot_id, "poller"))
        self._send_turns, self._job_turns = Turns(url, SEND_TURNS), Turns(url, JOB_TURNS)
        self._led_since = 0.0

    async def join(self) -> None:
        """Take this worker's place: refused when a worker without a shared budget runs, or when
        this one has none and others run. The lead is tried at once, so that the handover time
        passes while the worker prepares rather than after."""
        if await self._membership.acquire():
            await self._take_lead()
            return
        if self.shared_budget:
            raise FleetRefused(
                "another assembly-bot run works on this database without REDIS_URL, so it must stay "
                "alone; give every worker the same REDIS_URL to run several"
            )
        raise FleetRefused(
            "other assembly-bot run workers use this database; several workers share one send "
            "budget through Redis: set REDIS_URL (the same for all)"
        )

    async def keep_membership(self) -> None:
        """Take the place again after the store restarted (the lock went with the old connection)."""
        while True:
            await asyncio.sleep(5 * LOOK)
            with contextlib.suppress(Exception):
                if not await self._membership.held() and not await self._membership.acquire():
                    log.error("another worker took this worker's place while the store was away")

    async def _take_lead(self) -> bool:
        """Try once to hold the poller lease (still holding it counts, a dead one does not)."""
        if await self._leadership.held():
            return True
        if not await self._leadership.acquire():
            return False
        self._led_since = time.monotonic()
        return True

    async def lead(self) -> None:
        """Return once this worker holds the poller lease and the handover time has passed since
        it took it."""
        while True:
            try:
                if await self._take_lead():
                    break
            except Exception as error:
                log.warning("cannot reach the store to lead (%s); trying again", type(error).__name__)
            await asyncio.sleep(LOOK)
        log.info("this worker now leads: it polls the Bot API and sends the button answers")
        await asyncio.sleep(max(0.0, HANDOVER - (time.monotonic() - self._led_since)))

    async def watch(self) -> None:
        """Return when the lease is lost: its connection died (the store restarted), or stopped
        answering (while it hangs, the store keeps the lock: no other worker can lead meanwhile).
        The caller stops polling, then steps down."""
        while True:
            await asyncio.sleep(LOOK / 2)
            try:
                async with asyncio.timeout(STALLED):
                    if not await self._leadership.held():
                        break
            except TimeoutError:
                break
        log.warning("this worker lost the lead; it stops polling")

    async def step_down(self) -> None:
        await self._leadership.release()

    @property
    def startup_key(self) -> int:
        """The lock under which a starting worker mirrors the definition into the store."""
        return advisory_key(self.bot_id, "startup")

    def chat_key(self, chat_id: int) -> int:
        """The lock under which one chat's updates are handled, one at a time and in order."""
        return advisory_key(self.bot_id, "chat", chat_id)

    def send_turn(self, chat_id: int) -> contextlib.AbstractAsyncContextManager[bool]:
        """One chat's turn to send its next message (True when this worker holds it)."""
        return self._send_turns.turn(advisory_key(self.bot_id, "send", chat_id))

    @contextlib.asynccontextmanager
    async def job_turn(self, db: Database, name: str, due: datetime) -> AsyncIterator[bool]:
        """True inside when this worker runs job `name` for its time `due`: no other worker runs
        that job meanwhile, nor ever for that time."""
        async with self._job_turns.turn(advisory_key(self.bot_id, "job", name)) as alone:
            claimed = False
            if alone:
                async with db.transaction() as session:
                    claimed = await claim_run(session, f"{self.bot_id}:{name}", due)
            yield claimed

    async def close(self) -> None:
        for lease in (self._leadership, self._membership):
            with contextlib.suppress(Exception):
                await lease.dispose()
        await self._send_turns.dispose()
        await self._job_turns.dispose()
