"""The organisers' commands as real subprocesses, next to a running bot that shares the store."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import RunningBot, add_confirmed, mirror_sessions
from sqlalchemy import select, update

from bot.cli.main import main
from bot.emulator import Emulator
from bot.store.database import Database
from bot.store.models import AttendanceRow, ParticipantRow
from bot.store.sessions import SqlSessions
from flows.assembly import Assembly
from flows.ports import Presence

ASSEMBLY = "brussels-climate-2027"


async def _cli(project_root: Path, bot: RunningBot, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": bot.url, "PYTHONPATH": str(project_root), "COLUMNS": "200"}
    env.pop("ASSEMBLY_CONFIG", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=project_root,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 90)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["aiogram"])  # the commands' side is the point; both runtimes send alike
async def test_announce_reaches_confirmed_participants_in_their_language_and_attendance_by_hand(
    running_bot: RunningBot, emulator: Emulator, project_root: Path, tmp_path: Path
) -> None:
    assert running_bot.app is not None
    amelie, jan, visitor = (
        emulator.user(5001, "Amélie", "fr"),
        emulator.user(5002, "Jan", "nl"),
        emulator.user(5003),
    )
    for user in (amelie, jan, visitor):
        await user.send_text("/start")
        await user.wait_for_messages(1)
    async with running_bot.app.db.transaction() as session:
        await session.execute(
            update(ParticipantRow)
            .where(ParticipantRow.telegram_user_id.in_([5001, 5002]))
            .values(status="confirmed")
        )
        jan_id = (
            await session.execute(select(ParticipantRow.id).where(ParticipantRow.telegram_user_id == 5002))
        ).scalar_one()

    texts = tmp_path / "texts.yaml"
    texts.write_text("fr: Bonjour à toutes et à tous\nnl: Hallo allemaal\n", encoding="utf-8")
    status, _, err = await _cli(
        project_root, running_bot, "announce", "--assembly", ASSEMBLY, "--file", str(texts)
    )
    assert status == 2
    assert err.strip().endswith(f"assembly-bot: error: {texts}: no text for en, de, ar")

    texts.write_text(
        "fr: Merci ! Le Parlement a adopté 12 de vos 15 recommandations.\n"
        "nl: Bedankt! Het Parlement heeft 12 van jullie 15 aanbevelingen aangenomen.\n"
        "en: Thank you! Parliament adopted 12 of your 15 recommendations.\n"
        "de: Danke! Das Parlament hat 12 Ihrer 15 Empfehlungen angenommen.\n"
        "ar: شكراً! اعتمد البرلمان 12 من توصياتكم الخمس عشرة.\n",
        encoding="utf-8",
    )
    status, out, err = await _cli(
        project_root, running_bot, "announce", "--assembly", ASSEMBLY, "--file", str(texts)
    )
    assert status == 0, err
    assert "Announcement 1 queued for 2 participants (all confirmed participants)." in out
    assert "Done: sent 2." in out
    assert amelie.last.text == "Merci ! Le Parlement a adopté 12 de vos 15 recommandations."
    assert jan.last.text == "Bedankt! Het Parlement heeft 12 van jullie 15 aanbevelingen aangenomen."
    assert len(visitor.messages) == 1

    status, out, err = await _cli(
        project_root,
        running_bot,
        "sessions",
        "attend",
        "--assembly",
        ASSEMBLY,
        "--session",
        "s2",
        "--participant",
        str(jan_id),
        "--late",
        "--anyway",  # session 2 is months ahead of today
    )
    assert status == 0, err
    assert f"Participant {jan_id} marked present at s2 (late)." in out
    async with running_bot.app.db.transaction() as session:
        (presence,) = (await session.execute(select(AttendanceRow))).scalars()
    assert (presence.participant_id, presence.late, presence.method) == (jan_id, True, "manual")


def _cells(out: str, first: str) -> list[str]:
    """The cells of the table row whose first cell is `first`, as the terminal shows them."""
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.splitlines() if "│" in line]
    return next(row for row in rows if row[0] == first)


def test_sessions_list_rsvps_and_a_session_announcement_read_the_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, assembly: Assembly, capsys: pytest.CaptureFixture[str]
) -> None:
    """Who said what and who came, per session and for one; an announcement for a session skips
    whoever said they cannot come."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("ASSEMBLY_CONFIG", raising=False)
    now = datetime.now(UTC)

    async def fill() -> tuple[int, int]:
        db = Database(url)
        await db.migrate()
        try:
            await mirror_sessions(db, assembly, now)
            amelie, jan, _ = [
                (await add_confirmed(db, assembly, user, language)).id
                for user, language in ((6001, "fr"), (6002, "nl"), (6003, "ar"))
            ]
            async with db.transaction() as session:
                store = SqlSessions(session, assembly.id)
                await store.set_rsvp(amelie, "s1", "coming", now)
                await store.set_rsvp(jan, "s1", "absent", now)
                await store.set_rsvp_reason(jan, "s1", "Ziek")
                await store.check_in(amelie, "s1", Presence(now, True, "manual"))
        finally:
            await db.dispose()
        return amelie, jan

    amelie, jan = asyncio.run(fill())
    assert main(["sessions", "list", "--assembly", assembly.id]) == 0
    listed = capsys.readouterr().out
    assert [_cells(listed, s.id)[4] for s in assembly.sessions] == ["planned"] * len(assembly.sessions)

    assert main(["sessions", "rsvps", "--assembly", assembly.id]) == 0
    summary = capsys.readouterr().out
    # coming, can't come, no answer, present, late: of the three confirmed participants
    assert _cells(summary, "s1")[1:] == ["1", "1", "1", "1", "1"]
    assert _cells(summary, "s2")[1:] == ["0", "0", "3", "0", "0"]

    assert main(["sessions", "rsvps", "--assembly", assembly.id, "--session", "s1"]) == 0
    details = capsys.readouterr().out
    assert _cells(details, str(amelie))[1:3] == ["fr", "coming"]
    assert _cells(details, str(amelie))[4].endswith("late (by hand)")
    assert _cells(details, str(jan))[1:] == ["nl", "absent", "Ziek", ""]

    texts = tmp_path / "texts.yaml"
    texts.write_text("fr: Salut\nnl: Hallo\nen: Hello\nde: Hallo\nar: مرحبا\n", encoding="utf-8")
    command = ["announce", "--assembly", assembly.id, "--file", str(texts), "--no-wait"]
    assert main([*command, "--session", "s1"]) == 0
    assert "Announcement 1 queued for 2 participants (session s1)." in capsys.readouterr().out
    assert main([*command, "--session", "s9"]) == 2
    assert capsys.readouterr().err.strip().endswith(f"error: no session 's9' in assembly {assembly.id}")


def test_attendance_by_hand_refuses_a_session_far_ahead_and_notes_who_said_no(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, assembly: Assembly, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("ASSEMBLY_CONFIG", raising=False)
    now = datetime.now(UTC)

    async def fill() -> int:
        db = Database(url)
        await db.migrate()
        try:
            await mirror_sessions(db, assembly, now)
            jan = (await add_confirmed(db, assembly, 6102, "nl")).id
            async with db.transaction() as session:
                await SqlSessions(session, assembly.id).set_rsvp(jan, "s1", "absent", now)
                await SqlSessions(session, assembly.id).set_rsvp_reason(jan, "s1", "Ziek")
        finally:
            await db.dispose()
        return jan

    jan = asyncio.run(fill())
    attend = ["sessions", "attend", "--assembly", assembly.id, "--session", "s1", "--participant", str(jan)]
    assert main(attend) == 2  # the example's first session is months away from today
    assert "s1 starts 2027-03-06 09:30, not today: nothing recorded" in capsys.readouterr().err
    assert main([*attend, "--anyway"]) == 0
    out = capsys.readouterr().out
    assert f"Note: participant {jan} had said they can't come (Ziek)." in out
    assert f"Participant {jan} marked present at s1." in out
