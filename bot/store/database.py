"""The database handle: async engine, sessions, and Alembic migrations run from code."""

from __future__ import annotations

import ast
import asyncio
import logging
import sqlite3
import sys
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.store.sqlite_driver import OneTripDbapi, short_statements

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = "bot.store:migrations"
"""Alembic's script location as a package resource, so an installed wheel finds its migrations."""

VERSIONS = Path(__file__).with_name("migrations") / "versions"
"""The migration scripts themselves (the `versions` folder of `MIGRATIONS`)."""

Session = AsyncSession
"""The unit of work callers pass, unopened, to store functions; named here so they need no SQLAlchemy."""

StoreError = DBAPIError
"""What the database driver raised (a lock held too long, a lost connection), named here so callers
can tell it from their own errors without importing SQLAlchemy."""


_CUT_OFF = (OSError, TimeoutError, PoolTimeout)
"""What any driver raises when the server is out of reach or went away mid-statement."""


def _asyncpg_cut_off() -> tuple[type[BaseException], ...]:
    """The same from asyncpg, plus the InternalClientError a connection broken that way answers its
    next use with. asyncpg (3 MiB) is loaded by the PostgreSQL engine only: a bot on SQLite has not
    imported it, and then none of its errors can have been raised."""
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is None:
        return ()
    return (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, asyncpg.exceptions.InternalClientError)


_SQLITE_LOCKED = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
"""Primary result codes (extended ones add bits above the low byte) of a lock not granted in time."""


def unavailable(error: BaseException) -> bool:
    """The database was unreachable, went away (a restart, a network cut), had no free connection
    or (SQLite) no write lock in time: worth waiting for and trying again, unlike a refused
    statement."""
    current: BaseException | None = error
    for _ in range(8):  # along the chain of causes SQLAlchemy wraps the driver's error in
        if current is None:
            return False
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (*_CUT_OFF, *_asyncpg_cut_off())):
            return True
        # SQLite's write lock held past the busy timeout (by another process, or by writers of a
        # crowded event loop): the lock is freed later, like a connection out of the pool.
        if getattr(current, "sqlite_errorcode", 0) & 0xFF in _SQLITE_LOCKED:
            return True
        sqlstate = getattr(current, "sqlstate", None)  # 08: connection exception; 57: shutting down
        if isinstance(sqlstate, str) and sqlstate[:2] in ("08", "57"):
            return True
        current = current.__cause__ or current.__context__
    return False


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


MIGRATION_LOCK = 0x617373656D626C79
"""The advisory lock PostgreSQL migrations run under, the same for every bot sharing a database."""

WRITERS = 3
"""SQLite writers of this process at once: one holds the lock, the others wait in SQLite's busy
handler. One alone would serialise every writer's round trips to the driver's thread (halving the
fan-out rate); dozens (a burst of button presses) would starve some past the busy timeout."""

_writing: ContextVar[bool] = ContextVar("assembly_bot_writing", default=False)

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for another's lock before giving up with "database is locked"."""


class WriterSlots:
    """`WRITERS` slots taken in order of arrival, except that urgent writers go before the others."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._others: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def slot(self, *, urgent: bool) -> AsyncIterator[None]:
        if self._free and not self._urgent and (urgent or not self._others):
            self._free -= 1
        else:
            waiter = asyncio.get_running_loop().create_future()
            (self._urgent if urgent else self._others).append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if not waiter.cancelled():
                    self._release()  # handed a slot as it was cancelled: pass it on
                # else `_release` drops it from its queue when it comes to it
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        for queue in (self._urgent, self._others):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the slot passes straight to it
                    return
        self._free += 1


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run while one transaction writes; the busy timeout rides out another
    # process's writer (an organiser command). The driver's own implicit BEGIN is switched off
    # so that `_sqlite_begin` decides how each transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    # A deferred transaction that reads and then writes cannot wait for the write lock: SQLite
    # refuses it at once ("database is locked") when another writer committed since its read.
    # A writer therefore takes the lock up front; readers stay deferred and never wait.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_deferred(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def _foreign_keys(connection: Connection, state: str) -> None:
    """Outside any transaction (SQLite ignores the pragma inside one), on the driver's connection."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"PRAGMA foreign_keys={state}")
    cursor.close()


def head_revisions(scripts: Path = VERSIONS) -> frozenset[str]:
    """The revisions no migration script revises, read from the scripts' own `revision` and
    `down_revision` assignments without importing them: Alembic (with Mako and Pygments) costs an
    idle bot several MiB, and a store already at head needs none of it at start-up."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in scripts.glob("*.py"):
        for node in ast.parse(script.read_text(encoding="utf-8")).body:
            match node:
                case (
                    ast.AnnAssign(target=ast.Name(id=name), value=ast.expr() as value)
                    | ast.Assign(targets=[ast.Name(id=name)], value=value)
                ) if name in ("revision", "down_revision"):
                    found = ast.literal_eval(value)
                    if name == "revision":
                        revisions.add(found)
                    elif found is not None:
                        revised.update((found,) if isinstance(found, str) else found)
    return frozenset(revisions - revised)


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config  # noqa: PLC0415 (only when migrating: see head_revisions)

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
        self.single_writer = make_url(self.url).get_backend_name() == "sqlite"
        # Statement parameters are what people typed: never in an exception message or a log line.
        # A file next to the process needs no liveness check before each transaction.
        options: dict[str, Any] = {"hide_parameters": True}
        if self.single_writer:
            # Short statements run on the event loop's thread, the rest on the driver's (OneTripDbapi),
            # never both at once on one connection.
            options["module"] = OneTripDbapi()
            options["connect_args"] = {"check_same_thread": False}
        else:
            options["connect_args"] = connect_args
        self.engine: AsyncEngine = create_async_engine(
            self.url, pool_pre_ping=not self.single_writer, **options
        )
        self._deferred = self._reads = self.engine
        if self.single_writer:
            # Pools on the one file: writers begin IMMEDIATE, a transaction nested in a writer
            # begins deferred, and `reading` runs each statement on its own (autocommit).
            self._deferred, self._reads = (
                create_async_engine(self.url, **options),
                create_async_engine(self.url, **options),
            )
            for engine, begin in ((self.engine, _begin_immediate), (self._deferred, _begin_deferred)):
                event.listen(engine.sync_engine, "begin", begin)
            for engine in (self.engine, self._deferred, self._reads):
                event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
            # aiosqlite logs each statement with its parameters at DEBUG: never, whatever the level.
            logging.getLogger("aiosqlite").setLevel(logging.INFO)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writers = WriterSlots(WRITERS)
        self._nested = async_sessionmaker(self._deferred, expire_on_commit=False)
        self._readers = async_sessionmaker(self._reads, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False, short: bool = False) -> AsyncIterator[AsyncSession]:
        """One unit of work that may write: committed on success, rolled back on any error.

        On SQLite it holds the write lock from its first statement to its commit (BEGIN IMMEDIATE);
        at most `WRITERS` of this process contend for it, the rest queue here in order. An `urgent`
        one (recording a fetched batch, which the next fetch and the presses' answers wait for)
        goes before the others in that queue. A transaction opened inside another one of the same
        task begins deferred instead: taking the lock the outer one holds would wait for itself.
        A `short` one (the update loop's and the sender's, whose statements are all short) runs
        its statements on the event loop's thread (`short_statements`)."""
        with short_statements() if short else nullcontext():
            async with self._transaction(urgent) as session:
                yield session

    @asynccontextmanager
    async def _transaction(self, urgent: bool) -> AsyncIterator[AsyncSession]:
        if not self.single_writer:
            async with self.sessions() as session, session.begin():
                yield session
            return
        if _writing.get():
            async with self._nested() as session, session.begin():
                yield session
            return
        async with self._writers.slot(urgent=urgent):
            token = _writing.set(True)
            try:
                async with self.sessions() as session, session.begin():
                    yield session
            finally:
                _writing.reset(token)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that only reads: it never waits for a writer (WAL) and holds no lock. On
        SQLite each statement sees the latest commit (no snapshot across statements): meant for
        the one-query reads of the update loop and the sender, run on the event loop's thread
        (`short_statements`)."""
        with short_statements():
            async with self._readers() as session, session.begin():
                yield session

    async def migrate(self, revision: str = "head", *, bot_id: int | None = None) -> None:
        """`bot_id`: the running bot, whose updates a store from before 0009 logged (see there).
        A store already at head is left as it is without loading Alembic."""
        if revision == "head" and await self.revisions() == head_revisions():
            return
        await self._alembic("upgrade", revision, bot_id)

    async def downgrade(self, revision: str) -> None:
        await self._alembic("downgrade", revision, None)

    async def revisions(self) -> frozenset[str]:
        """The revisions the store is stamped with (none before its first migration)."""

        def stamped(connection: Connection) -> frozenset[str]:
            if not inspect(connection).has_table("alembic_version"):
                return frozenset()
            return frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())

        async with self._reads.connect() as connection:
            return await connection.run_sync(stamped)

    async def _alembic(self, action: str, revision: str, bot_id: int | None) -> None:
        from alembic import command  # noqa: PLC0415 (only when migrating: see head_revisions)

        step: Callable[[Config, str], None] = getattr(command, action)

        def run(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            config.attributes["bot_id"] = bot_id
            # SQLite changes a table by copying it and dropping the old one; with foreign keys on,
            # that drop would cascade to every row referring to it. They are off while migrating,
            # as SQLite's own procedure for schema changes says (and as on a plain connection).
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                _foreign_keys(connection, "OFF")
            try:
                step(config, revision)
            finally:
                if sqlite:
                    _foreign_keys(connection, "ON")

        # Not in a transaction of our own: the migrations environment commits each migration.
        async with self.engine.connect() as connection:
            if self.single_writer:
                await connection.run_sync(run)
                return
            # Workers starting together on PostgreSQL migrate one after the other: the later ones
            # then find the schema at head and do nothing.
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            await connection.commit()
            try:
                await connection.run_sync(run)
            finally:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                await connection.commit()

    async def dispose(self) -> None:
        for engine in {self.engine, self._deferred, self._reads}:
            await engine.dispose()
