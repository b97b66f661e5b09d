"""PostgreSQL advisory locks and job-run claims: how several workers on one store share the work
(and the lock file that keeps a second worker off an SQLite store).

A worker holds its locks on connections of its own, apart from the pool its units of work use: a
lock lives as long as its connection, so a worker that dies (or loses the database) lets go of
them at once, and a busy pool never keeps a worker from releasing one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from bot.store.models import JobRunRow, utcnow

log = logging.getLogger(__name__)


class FleetRefused(Exception):
    """This worker may not join the others on the store (the message says why, in one line)."""


def lock_sqlite_store(url: str, bot_id: int) -> int | None:
    """Make this process bot `bot_id`'s only `assembly-bot run` on an SQLite store (a lock next to
    its file, released when the process ends; other assemblies' bots may share the store); the
    descriptor to close when done, None for an in-memory store."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    fd = os.open(f"{database}.{bot_id}.run-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise FleetRefused(
            f"another assembly-bot run of this bot already uses {database}; SQLite allows one worker per "
            "bot: stop it, or move to PostgreSQL (DATABASE_URL) to run several"
        ) from None
    return fd


SEND_TURNS, JOB_TURNS = 8, 2
"""Connections a worker keeps for turns: chats' next sends, and timed jobs' runs (apart, so a busy
outbox never delays a job); more turns wait for one of them to be free."""


def advisory_key(bot_id: int, purpose: str, item: int | str = 0) -> int:
    """A 64-bit advisory lock key for `purpose` (and one chat or job) of one bot."""
    digest = hashlib.blake2b(f"assembly-bot:{bot_id}:{purpose}:{item}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def wait_turn(session: AsyncSession, key: int) -> None:
    """Wait for the transaction-scoped lock `key` inside the caller's transaction (released at its end)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def take_turn(session: AsyncSession, key: int) -> bool:
    """Take the transaction-scoped lock `key` inside the caller's transaction if it is free."""
    return bool(await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}))


async def take_turns(session: AsyncSession, keys: Sequence[int]) -> set[int]:
    """Those of the transaction-scoped locks `keys` that were free, now held by the caller's
    transaction: one round trip for a whole batch of chats."""
    held = await session.execute(
        text("SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k WHERE pg_try_advisory_xact_lock(k)"),
        {"keys": list(keys)},
    )
    return set(held.scalars())


class Lease:
    """A session-level advisory lock on a connection of its own: held until released or until
    that connection dies with its worker. `shared` leases coexist; an exclusive one excludes all."""

    def __init__(self, url: str, key: int, *, shared: bool = False) -> None:
        self.key = key
        self._take = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
        self._engine = create_async_engine(url, poolclass=NullPool)
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        """Try once; True when held (now or already)."""
        if self._connection is not None:
            return True
        connection = await self._engine.connect()
        try:
            got = bool(await connection.scalar(text(f"SELECT {self._take}(:key)"), {"key": self.key}))
            await connection.commit()  # the lock outlives the transaction; no snapshot is kept open
        except BaseException:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def held(self) -> bool:
        """Whether the lease is still held: its connection answers. A dead one is let go."""
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
        except Exception as error:
            log.warning("lost the connection that held a lease (%s)", type(error).__name__)
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()  # closing the connection ends the session and its locks
            except Exception:
                await connection.invalidate()

    async def dispose(self) -> None:
        await self._drop()
        await self._engine.dispose()


class Turns:
    """Transaction-scoped try-locks held for the length of a block, on `size` connections of their own."""

    def __init__(self, url: str, size: int) -> None:
        self._engine = create_async_engine(
            url, pool_size=size, max_overflow=0, pool_timeout=600, pool_pre_ping=True
        )

    @asynccontextmanager
    async def turn(self, key: int) -> AsyncIterator[bool]:
        """True inside the block when this worker holds `key`; False when another worker does."""
        connection = await self._engine.connect()
        try:
            await connection.begin()
            got = await connection.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key})
            yield bool(got)
        finally:
            # Ending the transaction releases the lock; a connection that died (the store restarted)
            # took it along, and the block's own outcome is what matters.
            with contextlib.suppress(Exception):
                await connection.rollback()
            with contextlib.suppress(Exception):
                await connection.close()

    async def dispose(self) -> None:
        await self._engine.dispose()


KEEP_RUNS = timedelta(days=2)
"""How long a claimed job run is remembered; a due time is never claimed again after that."""


async def claim_run(session: AsyncSession, job: str, due_at: datetime) -> bool:
    """Claim the run of `job` due at `due_at`: True for the first worker to ask, False for the others."""
    # PostgreSQL's INSERT ... ON CONFLICT, imported here: a bot on SQLite never loads that dialect.
    from sqlalchemy.dialects.postgresql import insert  # noqa: PLC0415

    inserted = await session.execute(
        insert(JobRunRow)
        .values(job=job, due_at=due_at, started_at=utcnow())
        .on_conflict_do_nothing()
        .returning(JobRunRow.job)
    )
    claimed = inserted.first() is not None
    if claimed:
        old = JobRunRow.due_at < due_at - KEEP_RUNS
        await session.execute(delete(JobRunRow).where(JobRunRow.job == job, old))
    return claimed
