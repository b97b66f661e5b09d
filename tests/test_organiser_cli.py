"""The organisers' commands as real subprocesses, next to a running bot that shares the store."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from conftest import RunningBot
from sqlalchemy import select, update

from bot.emulator import Emulator
from bot.store.models import AttendanceRow, ParticipantRow

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
    )
    assert status == 0, err
    assert f"Participant {jan_id} marked present at s2 (late)." in out
    async with running_bot.app.db.transaction() as session:
        (presence,) = (await session.execute(select(AttendanceRow))).scalars()
    assert (presence.participant_id, presence.late, presence.method) == (jan_id, True, "manual")
