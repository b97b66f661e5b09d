"""Invitation letters: codes written as CSV with deep links, stored hashed, single use, expiring."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import RunningBot
from sqlalchemy import select

from bot.cli.main import main
from bot.emulator import Emulator
from bot.store import invitations
from bot.store.database import Database
from bot.store.models import InvitationRow, utcnow
from flows.assembly import Assembly


async def _codes(bot: RunningBot, count: int, expires_in: timedelta | None = None) -> list[str]:
    assert bot.app is not None
    expires = utcnow() + expires_in if expires_in is not None else None
    async with bot.app.db.transaction() as session:
        return invitations.create(session, bot.assembly.id, count, expires)


def test_invites_create_writes_letters_and_keeps_only_hashes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, assembly: Assembly, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("ASSEMBLY_CONFIG", raising=False)
    out = tmp_path / "letters.csv"
    command = ["invites", "create", "--assembly", assembly.id, "--count", "5", "--expires-days", "30"]
    assert main([*command, "--out", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as letters:
        rows = list(csv.DictReader(letters))
    assert len(rows) == 5
    assert len({row["code"] for row in rows}) == 5
    for row in rows:
        assert row["link"] == f"https://t.me/assembly_demo_bot?start={row['code']}"
        assert len(row["code"]) <= 64
        assert row["expires_at"]

    async def stored() -> list[str]:
        db = Database(url)
        try:
            async with db.transaction() as session:
                return list((await session.execute(select(InvitationRow.code_hash))).scalars())
        finally:
            await db.dispose()

    import asyncio  # noqa: PLC0415 (this test is synchronous: main() runs its own loop)

    hashes = asyncio.run(stored())
    assert sorted(hashes) == sorted(invitations.digest(row["code"]) for row in rows)
    assert not {row["code"] for row in rows} & set(hashes)
    # An existing file is never overwritten (its codes could not be recovered), and bad counts are refused.
    assert main([*command, "--out", str(out)]) == 2
    assert main(["invites", "create", "--assembly", "elsewhere", "--count", "3"]) == 2
    # argparse's own one-line refusal, after the usage line
    assert main(["invites", "create", "--assembly", assembly.id, "--count", "0"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert errors[-1].endswith("argument --count: 0 is out of range: give 1 to 2147483647")
    assert len(errors) == 3


async def test_a_code_opens_registration_once_and_bad_codes_get_a_way_forward(
    running_bot: RunningBot, emulator: Emulator
) -> None:
    (good,) = await _codes(running_bot, 1, timedelta(days=30))
    (stale,) = await _codes(running_bot, 1, timedelta(days=-1))

    ines = emulator.user(5001, first_name="Inès", language_code="fr")
    await ines.send_text(f"/start {good}")
    (opened,) = await ines.wait_for_messages(1)
    assert opened.text is not None
    assert "choisissez votre langue" in opened.text

    pieter = emulator.user(5002, first_name="Pieter", language_code="nl")
    await pieter.send_text(f"/start {good}")
    used, forward = await pieter.wait_for_messages(2)
    assert used.text == "Deze uitnodiging is al door iemand anders gebruikt."
    assert forward.text == "Je kunt je nog altijd inschrijven via de open inschrijving:"
    assert forward.button_texts == ["📝 Inschrijven"]

    await pieter.send_text(f"/start {stale}")
    await pieter.send_text("/start NOT-A-REAL-CODE")
    messages = await pieter.wait_for_messages(6)
    assert messages[2].text == "Deze uitnodiging is verlopen."
    assert messages[4].text == "Ik ken deze uitnodigingscode niet. Controleer de link op je brief."

    # The holder can open their own link again, and goes on where they were.
    await ines.send_text(f"/start {good}")
    _, welcome_back, question = await ines.wait_for_messages(3)
    assert welcome_back.text == "Rebonjour ! Reprenons là où vous vous étiez arrêté·e."
    assert question.text is not None
    assert "choisissez votre langue" in question.text
