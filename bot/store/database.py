"""The database handle: async engine, sessions, and Alembic migrations run from code."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = "bot.store:migrations"
"""Alembic's script location as a package resource, so an installed wheel finds its migrations."""

Session = AsyncSession
"""The unit of work callers pass, unopened, to store functions; named here so they need no SQLAlchemy."""


def normalize_url(url: str) -> str:
    """Accept the plain URLs people paste (`postgresql://`, `sqlite:///`) and pick async drivers."""
    parsed = make_url(url)
    drivers = {
        "postgresql": "postgresql+asyncpg",
        "postgres": "postgresql+asyncpg",
        "sqlite": "sqlite+aiosqlite",
    }
    if parsed.drivername in drivers:
        parsed = parsed.set(drivername=drivers[parsed.drivername])
    return parsed.render_as_string(hide_password=False)


IMMEDIATE = "assembly_bot_immediate"
"""Execution option naming a SQLite transaction that will write: it begins with BEGIN IMMEDIATE."""

_writing: ContextVar[bool] = ContextVar("assembly_bot_writing", default=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run while one transaction writes; the busy timeout rides out another
    # process's writer (an organiser command). The driver's own implicit BEGIN is switched off
    # so that `_sqlite_begin` decides how each transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A deferred transaction that reads and then writes cannot wait for the write lock: SQLite
    # refuses it at once ("database is locked") when another writer committed since its read.
    # A writer therefore takes the lock up front; readers stay deferred and never wait.
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


class Database:
    """Owns the engine; callers open a session per unit of work and commit it themselves."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        # PostgreSQL's JIT compiler costs seconds on report queries whose JSON functions the planner
        # overestimates (report_poll_options: 1.5 s with it, 0.15 s without, bench/dashboard.py);
        # the bot's queries are all short, so it never pays off.
        connect_args = (
            {"server_settings": {"jit": "off"}} if self.url.startswith("postgresql+asyncpg") else {}
        )
        self.engine: AsyncEngine = create_async_engine(
            self.url, pool_pre_ping=True, connect_args=connect_args
        )
        self.single_writer = self.engine.dialect.name == "sqlite"
        if self.single_writer:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._queue, self._writer = asyncio.Lock(), asyncio.Lock()

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """One unit of work that may write: committed on success, rolled back on any error.

        SQLite has one writer at a time: this process's writers queue here, in order and without
        polling, and each then holds SQLite's write lock from its first statement to its commit;
        an `urgent` writer (recording fetched updates) passes the queue and waits for at most the
        writer in progress and the one next in line. A transaction opened inside another one of the
        same task skips the queue (it would wait for itself) and behaves as SQLite always did."""
        if not self.single_writer or _writing.get():
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with contextlib.nullcontext() if urgent else self._queue, self._writer:
            token = _writing.set(True)
            try:
                async with self.sessions() as session, session.begin():
                    await session.connection(execution_options={IMMEDIATE: True})
                    yield session
            finally:
                _writing.reset(token)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that only reads: it never waits for a writer (WAL) and holds no lock."""
        async with self.sessions() as session, session.begin():
            yield session

    async def migrate(self, revision: str = "head") -> None:
        await self._alembic(command.upgrade, revision)

    async def downgrade(self, revision: str) -> None:
        await self._alembic(command.downgrade, revision)

    async def _alembic(self, action: Any, revision: str) -> None:
        def run(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            action(config, revision)

        async with self.engine.begin() as connection:
            await connection.run_sync(run)

    async def dispose(self) -> None:
        await self.engine.dispose()
