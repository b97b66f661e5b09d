"""The deployment's scripts, run as the image and the systemd units run them: migrate a fresh
PostgreSQL database, back it up and restore it into an empty one with everything (the audit log's
append-only rule included, at the same schema version). (Starting a worker with
deploy/scripts/start.sh is tested with the webhook contract, in test_webhook.py.)"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory
from conftest import _postgres_database

from bot.definition import load_assembly
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store import audit
from bot.store.database import Database, alembic_config
from bot.store.participants import SqlStore, ensure_assembly


def _script(root: Path, name: str, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHON": sys.executable}
    return subprocess.run(
        ["bash", str(root / "deploy" / "scripts" / name), *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


async def _run(root: Path, name: str, database_url: str, *args: str) -> str:
    done = await asyncio.to_thread(_script, root, name, database_url, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stderr


async def _fetch(url: str, query: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(query)
    finally:
        await connection.close()


async def test_migrate_then_back_up_and_restore(project_root: Path, tmp_path: Path) -> None:
    assembly = load_assembly(EXAMPLE_ASSEMBLY)
    async with _postgres_database(None) as url, _postgres_database(None) as spare:
        assert "schema is up to date" in await _run(project_root, "migrate.sh", url)
        [head] = await _fetch(url, "SELECT version_num FROM alembic_version")
        assert head["version_num"] == ScriptDirectory.from_config(alembic_config()).get_current_head()

        db = Database(url)
        try:
            async with db.transaction() as session:
                await ensure_assembly(session, assembly)
                store = SqlStore(session, assembly.id)
                for n in range(5):
                    await store.add_participant(50_000 + n, 50_000 + n, "fr")
                await audit.record(session, assembly.id, "export", actor="command line (test)", format="csv")
        finally:
            await db.dispose()

        archive = tmp_path / "assembly.dump"
        await _run(project_root, "backup.sh", url, str(archive))
        assert archive.stat().st_size > 0
        await _run(project_root, "restore.sh", spare, str(archive))

        for query in (
            "SELECT telegram_user_id FROM participants ORDER BY id",
            "SELECT assembly_id, actor, action FROM audit_log ORDER BY id",
            "SELECT version_num FROM alembic_version",
        ):
            assert [tuple(r) for r in await _fetch(spare, query)] == [
                tuple(r) for r in await _fetch(url, query)
            ]
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await _fetch(spare, "DELETE FROM audit_log")
