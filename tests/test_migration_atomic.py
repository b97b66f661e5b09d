"""Every migration is all-or-nothing, on SQLite as on PostgreSQL: an upgrade interrupted midway (a
full disk, a killed process) leaves the schema of the last migration that completed, and the next
start upgrades from there."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot.store.database import Database, alembic_config

pytestmark = pytest.mark.both_backends


class DiskFull(Exception):
    """Stands for whatever stops a migration midway."""


async def _schema(db: Database) -> tuple[list[str], set[str]]:
    async with db.engine.connect() as connection:
        version = [
            row[0] for row in await connection.execute(text("SELECT version_num FROM alembic_version"))
        ]
        tables = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    return version, tables


async def test_an_interrupted_migration_leaves_nothing_half_built_and_the_next_start_succeeds(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashboard migration creates two tables, then its view: the view's statement fails, as a
    full disk would make it. Neither table is left behind, and a later start completes the upgrade."""
    db = Database(db_url)
    try:
        await db.migrate("0006_views")
        before = await _schema(db)
        original = Operations.execute

        def failing(self: Operations, sqltext: Any, **kwargs: Any) -> None:
            if "report_poll_options" in str(sqltext):
                raise DiskFull("database or disk is full")
            original(self, sqltext, **kwargs)

        monkeypatch.setattr(Operations, "execute", failing)
        with pytest.raises(DiskFull):
            await db.migrate()
        assert await _schema(db) == before
        assert "dashboard_links" not in before[1]

        monkeypatch.setattr(Operations, "execute", original)
        await db.migrate()
        version, tables = await _schema(db)
        assert version == [ScriptDirectory.from_config(alembic_config()).get_current_head()]
        assert {"dashboard_links", "dashboard_sessions"} <= tables
    finally:
        await db.dispose()
