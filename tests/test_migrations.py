"""Alembic stairway (upgrade, downgrade, upgrade every revision) and models that match the migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.store.database import Database, alembic_config
from bot.store.models import Base

pytestmark = pytest.mark.both_backends  # every migration, on both dialects


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_stairway(db_url: str) -> None:
    database = Database(db_url)
    try:
        revisions = _revisions()
        assert revisions[0] == "0001"
        for index, revision in enumerate(revisions):
            down = revisions[index - 1] if index else "base"
            await database.migrate(revision)
            await database.downgrade(down)
            await database.migrate(revision)
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(_tables)
        assert tables == set(Base.metadata.tables)
        await database.downgrade("base")
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()
    finally:
        await database.dispose()


async def test_models_match_migrations(db_url: str) -> None:
    database = Database(db_url)
    await database.migrate()

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with database.engine.connect() as connection:
            assert await connection.run_sync(diff) == []
    finally:
        await database.dispose()
