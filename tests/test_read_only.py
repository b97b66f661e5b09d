"""Operator safety: commands that only read leave every row of the store as it was, and nothing but
`cancelled: true` cancels a session, whatever an edited definition leaves out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from conftest import FlowHarness, mirror_sessions
from polls_room import join
from sqlalchemy import select, text
from test_reports import populate

from bot.cli.main import main
from bot.dashboard.app import COOKIE, make_app
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store import dashboard_access
from bot.store.database import Database
from bot.store.models import Base, OutboxMessage, SessionRow
from bot.store.participants import SqlStore
from flows.assembly import Assembly

Dump = dict[str, list[tuple[Any, ...]]]


async def dump(db: Database) -> Dump:
    """Every row of every table (and the schema's revision), in a stable order."""
    tables: Dump = {}
    async with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
        revision = await session.execute(text("SELECT version_num FROM alembic_version"))
        tables["alembic_version"] = [tuple(row) for row in revision]
    return tables


def definition_without_sessions(tmp_path: Path) -> Path:
    """The example definition with its `sessions:` left out (and so its availability question, whose
    dates must be session days): valid, and it cancels nothing."""
    data = yaml.safe_load(EXAMPLE_ASSEMBLY.read_text(encoding="utf-8"))
    del data["sessions"]
    questions = data["registration"]["questions"]
    questions[:] = [q for q in questions if q.get("kind") != "availability"]
    path = tmp_path / "no-sessions.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def read_only_commands(assembly: Assembly, tmp_path: Path) -> list[list[str]]:
    """Every command that only reads."""
    named = ["--assembly", assembly.id]
    return [
        ["sessions", "list", *named],
        ["sessions", "rsvps", *named, "--session", "s2"],
        [
            "sessions",
            "code",
            *named,
            "--session",
            "s1",
            "--bot-username",
            "assembly_bot",
            "--qr",
            str(tmp_path / "qr.png"),
        ],
        ["digest", *named, "--language", "ar"],
        ["export", *named, "--format", "xlsx", "--out", str(tmp_path / "exports"), "--include-personal"],
    ]


@pytest.mark.both_backends
async def test_read_only_commands_change_no_row_whatever_the_definition_leaves_out(
    db: Database, db_url: str, assembly: Assembly, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listings, reports, exports and the printed digest, run on a populated store with the example
    definition and with one that has no `sessions:`: a full dump of every table is the same after,
    but for the audit log, which records each export (who took the data out is itself a record)."""
    await populate(db, assembly, size=12)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("ASSEMBLY_CONFIG", raising=False)
    before = await dump(db)
    assert len(before["sessions"]) == len(assembly.sessions)
    assert sum(len(rows) for rows in before.values()) > 50
    without = definition_without_sessions(tmp_path)
    runs = [(EXAMPLE_ASSEMBLY, command) for command in read_only_commands(assembly, tmp_path)[:1]]
    runs += [(without, command) for command in read_only_commands(assembly, tmp_path)]
    for config, command in runs:
        status = await asyncio.to_thread(main, [*command, "--config", str(config)])
        assert status == 0, command
        after = await dump(db)
        exports = [row for row in after.pop("audit_log") if "export" in row]
        assert len(exports) == sum(c[0] == "export" for _, c in runs[: runs.index((config, command)) + 1])
        assert after == {name: rows for name, rows in before.items() if name != "audit_log"}, (
            config.name,
            command,
        )


async def test_a_session_left_out_of_the_definition_is_not_cancelled(
    db: Database, db_url: str, assembly: Assembly, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither the bot's start-up mirror, nor a command that writes, nor an explicit `sessions sync`
    takes a missing session for a cancellation; `cancelled: true` does, and only by the explicit
    command or the bot does it tell people."""
    await populate(db, assembly, size=12)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("ASSEMBLY_CONFIG", raising=False)
    empty = assembly.model_copy(update={"sessions": []})
    assert await mirror_sessions(db, empty, datetime.now(UTC)) == 0
    texts = tmp_path / "texts.yaml"
    texts.write_text("fr: Salut\nnl: Hallo\nen: Hello\nde: Hallo\nar: مرحبا\n", encoding="utf-8")
    without = definition_without_sessions(tmp_path)
    announce = ["announce", "--assembly", assembly.id, "--file", str(texts), "--no-wait"]
    assert await asyncio.to_thread(main, [*announce, "--config", str(without)]) == 0
    assert (
        await asyncio.to_thread(
            main, ["sessions", "sync", "--assembly", assembly.id, "--config", str(without)]
        )
        == 0
    )
    async with db.transaction() as session:
        rows = (await session.execute(select(SessionRow))).scalars().all()
        topics = (await session.execute(select(OutboxMessage.topic))).scalars().all()
    assert [row.cancelled_at for row in rows] == [None] * len(assembly.sessions)
    assert not [topic for topic in topics if topic and topic.startswith("session:")]

    data = yaml.safe_load(EXAMPLE_ASSEMBLY.read_text(encoding="utf-8"))
    data["sessions"][5]["cancelled"] = True
    cancelling = tmp_path / "cancelling.yaml"
    cancelling.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert await asyncio.to_thread(main, [*announce, "--config", str(cancelling)]) == 0
    async with db.transaction() as session:
        cancelled = (
            await session.execute(select(SessionRow.key).where(SessionRow.cancelled_at.is_not(None)))
        ).all()
    assert cancelled == []  # a command that writes its own rows leaves session changes to the bot
    assert (
        await asyncio.to_thread(
            main, ["sessions", "sync", "--assembly", assembly.id, "--config", str(cancelling)]
        )
        == 0
    )
    async with db.transaction() as session:
        cancelled = (
            await session.execute(select(SessionRow.key).where(SessionRow.cancelled_at.is_not(None)))
        ).all()
        notices = (
            await session.execute(select(OutboxMessage.id).where(OutboxMessage.topic == "session:s6"))
        ).all()
    assert cancelled == [("s6",)]
    assert notices


async def test_the_dashboards_pages_change_no_row(flow: FlowHarness, assembly: Assembly) -> None:
    """Every page and chart of the dashboard, seen by a signed-in organiser, and the GET of a sign-in
    link (which only asks to confirm) leave every table as it was."""
    await populate(flow.db, assembly, size=12)
    organiser = await join(flow, "organiser", 900, "en")
    now = flow.clock.now()
    async with flow.db.transaction() as session:
        store = SqlStore(session, assembly.id)
        person = await store.participant(organiser.user_id)
        assert person is not None
        spare = await store.dashboard.issue_link(person.id, now, timedelta(minutes=15))
        token = await store.dashboard.issue_link(person.id, now, timedelta(minutes=15))
    async with flow.db.transaction() as session:
        opened = await dashboard_access.sign_in(session, assembly, token, now)
    assert opened is not None
    before = await dump(flow.db)
    client = TestClient(TestServer(make_app(flow.db, flow.kit, secure_cookies=False)))
    await client.start_server()
    try:
        client.session.cookie_jar.update_cookies({COOKIE: opened[0]})
        paths = ["/", "/recruitment", "/recruitment.png", "/sessions", "/polls", "/polls/1.png", "/feedback"]
        for path in paths:
            response = await client.get(path)
            assert response.status in (200, 404), path
        assert (await client.get(f"/login/{spare}")).status == 200
    finally:
        await client.close()
    assert await dump(flow.db) == before
