"""An organiser registers someone without Telegram by phone, in their own chat (the console runtime): the
person is stored as a paper registrant is, drawn like everyone else, and on the organisers' call list."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from test_registrations_import import _file

from bot.bootstrap import build_kit
from bot.cli.main import main
from bot.console.chat import ConsoleChat
from bot.store import audit, roles
from bot.store.database import Database
from bot.store.models import AnswerRow, ParticipantRow
from bot.store.participants import ensure_assembly
from flows.assembly import Assembly
from flows.events import Sender

NAME, PHONE = "Marie Dubois", "+32 470 11 22 33"
QUESTIONNAIRE = ["1", "1", "2", "1", "2", "2", "1", "7", "1", "2", "8", "1", "1", "7", "2"]
"""The example's questions after the name and phone, pressed or typed in the console: 16 to 24, a woman,
the west, no or primary school, somewhat worried, 2 at home, French, two dates, childcare, a wheelchair."""
CONFIRM = "12"
"""✅ Confirm under the summary of the ten questions walked."""


async def _chat(db: Database, assembly: Assembly, sender: Sender, lines: list[str]) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=300, color_system=None)
    chat = ConsoleChat(db, build_kit(assembly), sender, console, Path("unused"))
    typed = iter(lines)

    async def read_line() -> str | None:
        return next(typed, None)

    await chat.run(read_line)
    return [line.strip() for line in out.getvalue().splitlines() if line.strip()]


async def _organiser(db: Database, assembly: Assembly) -> list[str]:
    async with db.transaction() as session:
        await ensure_assembly(session, assembly)
        code = await roles.create_invite(
            session, assembly.id, "organiser", datetime.now(UTC), timedelta(days=1)
        )
    return [f"/start role-{code}"]


async def _people(db: Database) -> dict[int, dict[str, object]]:
    """Everyone stored, with their answers."""
    async with db.transaction() as session:
        ids = (await session.execute(select(ParticipantRow.id))).scalars().all()
        rows = (
            await session.execute(select(AnswerRow.participant_id, AnswerRow.question_id, AnswerRow.value))
        ).all()
    people: dict[int, dict[str, object]] = {pid: {} for pid in ids}
    for pid, question, value in rows:
        people[pid][question] = value
    return people


async def test_an_organiser_registers_people_by_phone_who_are_drawn_and_called(
    db: Database,
    assembly: Assembly,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.delenv("ASSEMBLY_CONFIG", raising=False)
    paper = tmp_path / "paper.csv"
    paper.write_text(_file(assembly, 30), encoding="utf-8")
    assert (
        await asyncio.to_thread(main, ["registrations", "import", "--assembly", assembly.id, str(paper)]) == 0
    )

    organiser = Sender(90, 90, "Org", "en")
    start = [*await _organiser(db, assembly), "/register_by_phone", "x" * 61, NAME, "abc"]
    lines = await _chat(
        db, assembly, organiser, [*start, PHONE, "/start", "1", "maybe", "1", *QUESTIONNAIRE, CONFIRM]
    )
    assert "That is too long: at most 60 characters, please (you wrote 61)." in lines
    not_a_number = "That does not look like a phone number. Please type it with its digits, for example +32"
    assert f"{not_a_number} 470 12 34 56." in lines
    assert f"Which language does {NAME} speak?" in lines
    held = "You are registering someone by phone: finish with ✅ Confirm under the summary, or type /cancel"
    assert any(line.startswith(held) for line in lines)  # /start opens no other conversation meanwhile
    assert "Avant de commencer : pour le tirage au sort" in "\n".join(lines)  # the notice, in her language
    assert "Please answer with the buttons: “They agree” or “They do not agree”." in lines
    assert "Question 1 of 10" in lines  # the questions, in the organiser's language
    assert "How old are you?" in lines
    assert "Please type a whole number from 1 to 20, in digits." not in lines
    assert f"{NAME} · {PHONE} (French): consent given by phone" in "\n".join(lines)
    done = next(line for line in lines if line.startswith(f"{NAME} is registered (participant "))
    marie = int(done.split("participant ")[1].split(")")[0])

    people = await _people(db)
    assert len(people) == 32  # thirty on paper, the organiser, Marie
    assert people[marie] == {
        "first_name": NAME,
        "phone": PHONE,
        "age_band": "a16_24",
        "gender": "woman",
        "district": "west",
        "education": "low",
        "climate": "somewhat",
        "household": 2,
        "languages": ["fr"],
        "availability": [day.isoformat() for day in assembly.registration.questions[8].dates[:2]],  # type: ignore[union-attr]
        "childcare": "yes",
        "access": {"needs": ["wheelchair"], "note": ""},
    }
    async with db.transaction() as session:
        row = await session.get_one(ParticipantRow, marie)
        assert (row.status, row.chat_id, row.language, row.consent_medium) == ("registered", 0, "fr", "phone")
        assert row.consent_version == assembly.registration.consent.version  # type: ignore[union-attr]
        taken = [e for e in await audit.latest(session, assembly.id) if e.action == "phone_registration"]
    assert [(e.actor, e.detail) for e in taken] == [
        ("Org (organiser)", {"participant": marie, "consent_version": row.consent_version})
    ]

    # A second person on the same line (a couple sharing a landline): as the import, a person of their own.
    again = ["/register_by_phone", "Jean Dubois", PHONE, "1", "1", *QUESTIONNAIRE, CONFIRM]
    lines = await _chat(db, assembly, organiser, again)
    assert any(line.startswith("Jean Dubois is registered (participant ") for line in lines)
    phones = [answers.get("phone") for answers in (await _people(db)).values()]
    assert phones.count(PHONE) == 2

    draw = ["select", "--assembly", assembly.id, "--seats", "8", "--seed", "7", "--reserves", "4"]
    assert await asyncio.to_thread(main, draw) == 0
    assert "from 32 complete registrations" in capsys.readouterr().out
    calls = ["registrations", "call-list", "--assembly", assembly.id, "--include-personal"]
    assert await asyncio.to_thread(main, calls) == 0
    listed = {
        int(row[0]): row
        for row in csv.reader(io.StringIO(capsys.readouterr().out))
        if row[0] != "participant"
    }
    assert listed[marie][1:2] + listed[marie][3:] == ["selected", NAME, PHONE]
    assert listed[marie + 1][3:] == ["Jean Dubois", PHONE]
    confirm = ["registrations", "confirm", "--assembly", assembly.id, "--participant", str(marie)]
    assert await asyncio.to_thread(main, confirm) == 0
    assert f"participant {marie} confirmed their seat" in capsys.readouterr().out


async def test_only_organisers_may_and_cancel_keeps_nothing(db: Database, assembly: Assembly) -> None:
    participant = await _chat(db, assembly, Sender(91, 91, "Lotte", "nl"), ["/register_by_phone"])
    assert participant[-1] == "Deze opdracht is voor de organisatoren van de assemblee."

    organiser = Sender(90, 90, "Org", "en")
    halfway = ["/help", "/register_by_phone", NAME, PHONE, "2", "1", "6", "1", "/cancel", "/cancel"]
    lines = await _chat(db, assembly, organiser, [*await _organiser(db, assembly), *halfway])
    assert "/register_by_phone – Register someone without Telegram, by phone" in lines  # the staff help
    assert "Registration by phone cancelled: nothing about this person was kept." in lines
    assert lines[-1] == "There is nothing to cancel right now."
    people = await _people(db)
    assert len(people) == 2  # the two chats, with no answers at all
    assert all(answers == {} for answers in people.values())

    declined = ["/register_by_phone", NAME, PHONE, "3", "2"]
    lines = await _chat(db, assembly, organiser, declined)
    assert lines[-1] == f"Understood: nothing about {NAME} was kept. Without consent they cannot take part."
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ParticipantRow)) == 2
