"""Alembic stairway (upgrade, downgrade, upgrade every revision) and models that match the migrations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection

from bot.store import outbox, updates
from bot.store.database import VERSIONS, Database, alembic_config, head_revisions
from bot.store.models import AnswerRow, AssemblyRow, Base, ConversationRow
from bot.store.participants import SqlStore
from bot.store.roles import SqlRoles

pytestmark = pytest.mark.both_backends  # every migration, on both dialects


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_the_head_read_from_the_scripts_is_alembic_s_even_with_a_new_script(tmp_path: Path) -> None:
    assert head_revisions() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())
    scripts = tmp_path / "versions"
    shutil.copytree(VERSIONS, scripts)
    (head,) = head_revisions()
    (scripts / "0099_next.py").write_text(f'revision: str = "0099_next"\ndown_revision = "{head}"\n')
    assert head_revisions(scripts) == frozenset(ScriptDirectory(str(tmp_path)).get_heads()) == {"0099_next"}


async def test_a_migrated_store_is_stamped_with_the_head(db_url: str) -> None:
    database = Database(db_url)
    try:
        assert await database.revisions() == frozenset()
        await database.migrate()
        assert await database.revisions() == head_revisions()
        await database.migrate()  # already there: nothing to do
        assert await database.revisions() == head_revisions()
    finally:
        await database.dispose()


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


_ONE_ASSEMBLY_AT_0008 = [
    "INSERT INTO assemblies (id, name, created_at) VALUES ('a', 'A', CURRENT_TIMESTAMP)",
    "INSERT INTO participants (id, telegram_user_id, chat_id, assembly_id, language, status, created_at) "
    "VALUES (1, 42, 42, NULL, 'en', 'registered', CURRENT_TIMESTAMP)",
    "INSERT INTO conversations (participant_id, data, updated_at) VALUES (1, '{}', CURRENT_TIMESTAMP)",
    "INSERT INTO answers (participant_id, question_id, value, answered_at) "
    "VALUES (1, 'first_name', '\"Ana\"', CURRENT_TIMESTAMP)",
    "INSERT INTO roles (participant_id, role, name, granted_at) "
    "VALUES (1, 'organiser', 'Ana', CURRENT_TIMESTAMP)",
    "INSERT INTO outbox (chat_id, kind, payload, status, not_before, attempts, created_at, purge_after_send) "
    "VALUES (42, 'SendMessage', '{}', 'pending', CURRENT_TIMESTAMP, 0, CURRENT_TIMESTAMP, false)",
    "INSERT INTO inbound_updates (update_id, chat_id, received_at) VALUES (5, 42, CURRENT_TIMESTAMP)",
]


async def _at_0008(db_url: str, statements: list[str]) -> Database:
    database = Database(db_url)
    await database.migrate("0008_audit")
    async with database.transaction() as session:
        for statement in statements:
            await session.execute(text(statement))
    return database


async def test_a_store_of_one_assembly_upgrades_in_place_with_its_data(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    database = await _at_0008(db_url, _ONE_ASSEMBLY_AT_0008)
    try:
        with pytest.raises(RuntimeError, match="TELEGRAM_BOT_TOKEN"):
            await database.migrate()  # the update log's bot is unknown: nothing is guessed
        await database.migrate(bot_id=123456)
        async with database.transaction() as session:
            person = await SqlStore(session, "a").participant(42)
            assert person is not None
            assert await session.scalar(select(func.count()).select_from(ConversationRow)) == 1
            assert await session.scalar(select(AnswerRow.value)) == "Ana"
            assert await SqlRoles(session, "a").roles(person.id) == {"organiser"}
            assert await outbox.due_chats(session, "a") == [42]
            assert await updates.pending_chats(session, 123456) == [42]
            assert await session.scalar(select(AssemblyRow.bot_id)) == 123456
        async with database.transaction() as session:  # foreign keys hold again once migrated
            await session.execute(text("DELETE FROM participants WHERE id = 1"))
            assert await session.scalar(select(func.count()).select_from(ConversationRow)) == 0
    finally:
        await database.dispose()


async def test_people_of_no_assembly_among_several_stop_the_upgrade_with_a_reason(db_url: str) -> None:
    second = "INSERT INTO assemblies (id, name, created_at) VALUES ('b', 'B', CURRENT_TIMESTAMP)"
    database = await _at_0008(db_url, [*_ONE_ASSEMBLY_AT_0008[:2], second])
    try:
        with pytest.raises(RuntimeError, match="1 participants belong to no assembly among the store's 2"):
            await database.migrate(bot_id=123456)
    finally:
        await database.dispose()
