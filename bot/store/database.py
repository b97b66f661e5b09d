"""The database handle: async engine, sessions, and Alembic migrations run from code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the sender read while a flow step writes; the busy timeout rides out short locks.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


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
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed on success, rolled back on any error."""
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

        # Not in a transaction of our own: the migrations environment commits each migration.
        async with self.engine.connect() as connection:
            await connection.run_sync(run)

    async def dispose(self) -> None:
        await self.engine.dispose()
