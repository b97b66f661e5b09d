"""Alembic environment: runs on a connection handed over by `Database`, or on DATABASE_URL.

Each migration runs in its own transaction, its version stamp included, so one interrupted midway
(a full disk, a killed process) leaves the schema of the last one that completed. SQLite can roll
DDL back too, but Python's sqlite3 driver opens a transaction only before INSERT, UPDATE and
DELETE, so each CREATE or ALTER would commit on its own: a transaction starts with an explicit
BEGIN instead (`Database` does that for every connection it hands over; a run on DATABASE_URL
adds it here).
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.database import normalize_url
from bot.store.models import Base

config = context.config
target_metadata = Base.metadata


def _begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        transactional_ddl=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    engine = create_async_engine(normalize_url(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "begin", _begin)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get(
        "DATABASE_URL", "sqlite+aiosqlite:///assembly.sqlite"
    )
    asyncio.run(_run_from_url(url))
