"""The retention period: personal data goes when the definition says, anonymous counts stay."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from conftest import TOKEN, add_confirmed, mirror_sessions
from sqlalchemy import func, select

from bot.bootstrap import build_app, build_core, build_kit
from bot.cli.main import main
from bot.jobs.retention import erase_past_retention
from bot.store.database import Database
from bot.store.models import AnswerRow, AttendanceRow, ParticipantRow
from bot.store.read.digest import digest_data
from bot.store.sessions import SqlSessions
from flows.assembly import Assembly
from flows.digest.render import digest_text
from flows.ports import Presence

DUE = datetime(2027, 12, 12, 16, 0, tzinfo=UTC)
"""The example's last session ends on 12 June 2027 at 17:00 in Brussels; 183 days later, in winter time."""


@pytest.mark.both_backends
async def test_personal_data_goes_after_the_retention_period_and_counts_stay(
    db: Database, assembly: Assembly
) -> None:
    assert assembly.erasure_due() == DUE
    await mirror_sessions(db, assembly, DUE - timedelta(days=400))
    people = [(await add_confirmed(db, assembly, 7000 + n, "nl")).id for n in range(3)]
    async with db.transaction() as session:
        session.add(AnswerRow(participant_id=people[0], question_id="first_name", value="An"))
        sessions = SqlSessions(session, assembly.id)
        await sessions.set_rsvp(people[0], "s1", "coming", DUE - timedelta(days=300))
        await sessions.check_in(people[0], "s1", Presence(DUE - timedelta(days=299), False, "manual"))

    early = await erase_past_retention(db, assembly, DUE - timedelta(minutes=1))
    assert (early.reached, early.people) == (False, 3)
    dry = await erase_past_retention(db, assembly, DUE, dry_run=True)
    assert (dry.reached, dry.people) == (True, 3)
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(AnswerRow)) == 1

    assert (await erase_past_retention(db, assembly, DUE)).people == 3
    async with db.transaction() as session:
        rows = (await session.execute(select(ParticipantRow).where(ParticipantRow.id.in_(people)))).scalars()
        assert {(row.telegram_user_id < 0, row.chat_id, row.status) for row in rows} == {
            (True, 0, "confirmed")
        }
        assert await session.scalar(select(func.count()).select_from(AnswerRow)) == 0
        assert await session.scalar(select(func.count()).select_from(AttendanceRow)) == 1
    assert (await erase_past_retention(db, assembly, DUE + timedelta(hours=1))).people == 0


async def test_the_digest_says_when_and_the_bot_schedules_it(db: Database, assembly: Assembly) -> None:
    tr = build_kit(assembly).translations.for_language("en")
    async with db.transaction() as session:
        before = digest_text(assembly, tr, await digest_data(session, assembly.id, DUE - timedelta(days=1)))
        after = digest_text(assembly, tr, await digest_data(session, assembly.id, DUE))
    assert "Personal data will be erased on December 12, 2027, at the end of the retention period." in before
    assert "The retention period ended on December 12, 2027: personal data is being erased." in after
    app = await build_app(build_core(assembly, db.url), token=TOKEN, api_url="http://127.0.0.1:9")
    try:
        assert "retention" in app.scheduler.names
    finally:
        await app.close()


async def test_dry_run_from_the_command_line(
    sqlite_url: str, assembly: Assembly, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.delenv("ASSEMBLY_CONFIG", raising=False)
    assert await asyncio.to_thread(main, ["retention", "--assembly", assembly.id, "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith(
        "Personal data is erased from 2027-12-12 17:00 (Europe/Brussels); 0 people hold some today."
    )
