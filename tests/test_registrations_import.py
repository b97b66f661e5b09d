"""People without Telegram: registered from a CSV file (checked as the chat checks answers, all rows or
none), drawn like everyone else, listed for staff to phone, their answer recorded by staff."""

from __future__ import annotations

import asyncio
import csv
import io
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli.main import main
from bot.store.database import Database
from bot.store.models import OutboxMessage, ParticipantRow
from flows.assembly import Assembly
from flows.questionnaire import Question


def _written(question: Question, rng: random.Random, n: int) -> str:
    """A valid answer as staff would copy it from a paper form."""
    if question.kind in ("choice", "yes_no", "multiple"):
        return rng.choice(question.values)
    if question.kind == "availability":
        return ";".join(day.isoformat() for day in question.dates[:2])
    if question.kind == "number":
        return str(question.min)
    if question.kind == "phone":
        return f"+32 470 00 {n:04d}"
    if question.kind == "text":
        return f"Person {n}"
    return ""  # accessibility: no needs


def _file(assembly: Assembly, people: int, bad: dict[int, dict[str, str]] | None = None) -> str:
    registration = assembly.registration
    assert registration is not None
    rng = random.Random(5)
    columns = ["language", *(q.id for q in registration.questions)]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns)
    writer.writeheader()
    for n in range(people):
        row = {"language": "nl", **{q.id: _written(q, rng, n) for q in registration.questions}}
        writer.writerow({**row, **(bad or {}).get(n, {})})
    return out.getvalue()


def _store(url: str) -> tuple[int, int]:
    """How many participants, and how many of them registered on paper."""

    async def count() -> tuple[int, int]:
        db = Database(url)
        await db.migrate()
        try:
            async with db.transaction() as session:
                everyone = await session.scalar(select(func.count()).select_from(ParticipantRow))
                on_paper = await session.scalar(
                    select(func.count())
                    .select_from(ParticipantRow)
                    .where(ParticipantRow.consent_medium == "paper", ParticipantRow.chat_id == 0)
                )
                return everyone or 0, on_paper or 0
        finally:
            await db.dispose()

    return asyncio.run(count())


@pytest.fixture
def store_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("ASSEMBLY_CONFIG", raising=False)
    return url


def test_a_file_with_bad_rows_is_listed_row_by_row_and_nothing_is_imported(
    store_url: str, tmp_path: Path, assembly: Assembly, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {
        1: {"gender": "female"},
        2: {"household": "three"},
        4: {"age_band": "", "language": "es"},
    }
    path = tmp_path / "paper.csv"
    path.write_text(_file(assembly, 6, bad), encoding="utf-8")
    command = ["registrations", "import", "--assembly", assembly.id, str(path)]
    for dry in ([], ["--dry-run"]):
        assert main([*command, *dry]) == 1
        errors = capsys.readouterr().err
        assert "row 3: gender: 'female' is not one of woman, man, other" in errors
        assert "row 4: household: 'three' is not a whole number from" in errors
        assert "row 6: language 'es' is not offered" in errors
        assert "row 6: age_band: an answer is required" in errors
        assert "row 2:" not in errors
        assert "3 row(s) of" in errors
        assert "nothing was imported" in errors
        assert _store(store_url) == (0, 0)

    path.write_text(_file(assembly, 6).replace("gender,", "gender,shoe_size,", 1), encoding="utf-8")
    assert main(command) == 1
    assert "row 1: unknown column 'shoe_size'" in capsys.readouterr().err


def test_people_on_paper_are_drawn_called_and_confirmed_by_staff(
    store_url: str, tmp_path: Path, assembly: Assembly, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "paper.csv"
    path.write_text(_file(assembly, 50), encoding="utf-8")
    command = ["registrations", "import", "--assembly", assembly.id, str(path)]
    assert main([*command, "--dry-run"]) == 0
    assert "50 registration(s)" in capsys.readouterr().out
    assert _store(store_url) == (0, 0)
    assert main(command) == 0
    assert "50 people registered" in capsys.readouterr().out
    assert _store(store_url) == (50, 50)

    draw = ["select", "--assembly", assembly.id, "--seats", "8", "--seed", "3", "--reserves", "4"]
    assert main(draw) == 0
    assert "8 drawn and 4 reserves from 50 complete registrations" in capsys.readouterr().out

    calls = ["registrations", "call-list", "--assembly", assembly.id]
    assert main(calls) == 0
    listed = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert listed[0] == ["participant", "status", "deadline"]
    assert len(listed) == 9
    assert all(row[1] == "selected" for row in listed[1:])
    assert main([*calls, "--include-personal"]) == 0
    personal = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert personal[0] == ["participant", "status", "deadline", "first_name", "phone"]
    assert all(row[3].startswith("Person ") and row[4].startswith("+32 470") for row in personal[1:])

    coming, leaving = int(listed[1][0]), int(listed[2][0])
    confirm = ["registrations", "confirm", "--assembly", assembly.id, "--participant"]
    assert main([*confirm, str(coming)]) == 0
    assert f"participant {coming} confirmed their seat" in capsys.readouterr().out
    assert main([*confirm, str(coming)]) == 1  # answered already
    assert "no seat waiting" in capsys.readouterr().err
    assert main([*confirm, str(leaving), "--decline"]) == 0
    assert "the seat was offered to participant" in capsys.readouterr().out
    assert main(calls) == 0
    statuses = {
        int(row[0]): row[1]
        for row in csv.reader(io.StringIO(capsys.readouterr().out))
        if row[0] != "participant"
    }
    assert statuses[coming] == "confirmed"
    assert leaving not in statuses
    assert len(statuses) == 8  # the reserve asked in their place is on the list to call

    async def messages() -> int:
        db = Database(store_url)
        try:
            async with db.transaction() as session:
                return await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        finally:
            await db.dispose()

    assert asyncio.run(messages()) == 0  # nobody to message in Telegram: staff phone them
