"""`assembly-bot chat`: a participant talks to the real flows and store in a terminal."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from bot.bootstrap import build_kit
from bot.console.chat import ConsoleChat, right_to_left
from bot.store.database import Database
from bot.store.participants import SqlStore
from flows import actions as act
from flows.assembly import Assembly
from flows.events import Sender


class Typist:
    """The chat's line reader: hands out the typed lines, then the end of input."""

    def __init__(self, lines: list[str]) -> None:
        self.lines: Iterator[str] = iter(lines)

    async def __call__(self) -> str | None:
        return next(self.lines, None)


async def _chat(
    db: Database, assembly: Assembly, tmp_path: Path, lines: list[str]
) -> tuple[str, ConsoleChat]:
    out = io.StringIO()
    chat = ConsoleChat(
        db,
        build_kit(assembly),
        Sender(77, 77, "Léa", "nl-BE"),
        Console(file=out, width=200, color_system=None),
        tmp_path / "files",
    )
    await chat.run(Typist(lines))
    return out.getvalue()


async def test_typed_lines_drive_the_flows_and_numbers_press_the_newest_buttons(
    db: Database, assembly: Assembly, tmp_path: Path
) -> None:
    printed = await _chat(
        db,
        assembly,
        tmp_path,
        ["/start", "2", "9", "2", "/hulp", "", ":contact +32470000002", "/cancel", ":quit", "/help"],
    )
    lines = [line.strip() for line in printed.splitlines() if line.strip()]
    assert lines[0].startswith("Typ een bericht of een /commando.")
    assert lines[1].startswith("Welkom!")
    assert "[2] 🌐 Taal" in lines  # after "[1] 📝 Inschrijven": the example allows open registration
    chooser = lines.index("Kies je taal:")
    assert lines[chooser + 1 : chooser + 6] == [
        "[1] Français",
        "[2] Nederlands",
        "[3] English",
        "[4] Deutsch",
        "[5] العربية",
    ]
    # 9 is no button: like text typed on Telegram, the flows answer it; nothing is lost.
    assert "Sorry, dat heb ik niet begrepen. Typ /help om te zien wat ik kan doen." in lines
    assert "✎ ✓ Nederlands" in lines
    assert "Ik ken het commando /hulp niet. Typ /help om te zien wat ik kan doen." in lines
    assert "Ik heb niet om een telefoonnummer gevraagd, dus ik heb het niet bewaard." in lines
    assert lines[-1] == "Er is op dit moment niets om te annuleren."  # nothing after :quit ran
    async with db.transaction() as session:
        participant = await SqlStore(session, assembly.id).participant(77)
    assert participant is not None
    assert participant.language == "nl"


async def test_polls_files_and_notices_render_and_answer_as_events(
    db: Database, assembly: Assembly, tmp_path: Path
) -> None:
    out = io.StringIO()
    chat = ConsoleChat(
        db, build_kit(assembly), Sender(78, 78, "Ali", "ar"), Console(file=out, width=200), tmp_path
    )
    tr = chat.kit.translations.for_language("ar")
    chat._render(act.SendPoll(78, "أي موضوع؟", ("المناخ", "النقل"), multiple=True), tr)
    assert chat._event("2, 1") == chat._event("1,2")
    vote = chat._event("1,2")
    assert vote is not None
    assert type(vote).__name__ == "PollAnswer"
    assert vote.option_ids == (0, 1)  # type: ignore[union-attr]
    assert type(chat._event("3")).__name__ == "Text"  # no third option: plain text
    chat._render(act.SendDocument(78, b'{"a": 1}', "../data.json", caption="بياناتك"), tr)
    chat._render(act.AnswerButton("q", "هذا الزر لم يعد صالحاً."), tr)
    printed = out.getvalue()
    assert "1. المناخ" in printed
    assert "اكتب أرقام اختياراتك مفصولة بفواصل." in printed
    saved = tmp_path / "2-data.json"
    assert saved.read_bytes() == b'{"a": 1}'
    assert f"تم حفظ الملف: {saved}" in printed
    assert "⚠ هذا الزر لم يعد صالحاً." in printed


def test_arabic_lines_are_recognised_as_right_to_left() -> None:
    assert right_to_left("من الآن فصاعداً")
    assert right_to_left("✓ العربية")
    assert not right_to_left("/start – الترحيب")
    assert not right_to_left("123")


def _expect(fd: int, needle: str, seen: list[str], timeout: float = 20.0) -> None:
    """Read the terminal until `needle` appears in everything printed so far."""
    deadline = time.monotonic() + timeout
    while needle not in "".join(seen):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{needle!r} never appeared in:\n{''.join(seen)[-2000:]}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                seen.append(os.read(fd, 65536).decode("utf-8", "replace"))
            except OSError:  # the child closed the terminal
                raise AssertionError(f"{needle!r} never appeared in:\n{''.join(seen)[-2000:]}") from None


@pytest.mark.slow
def test_a_new_user_chats_in_a_real_terminal(project_root: Path, tmp_path: Path) -> None:
    main, child = pty.openpty()
    env = {
        **os.environ,
        "PYTHONPATH": str(project_root),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.sqlite'}",
        "COLUMNS": "200",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "chat", "--language", "fr", "--files", str(tmp_path)],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=project_root,
        env=env,
        close_fds=True,
    )
    os.close(child)
    seen: list[str] = []
    try:
        _expect(main, "Tapez un message ou une /commande.", seen)
        for typed, answer in [
            ("/start", "[3] ❓ Aide"),
            ("2", "[5] العربية"),
            ("5", "من الآن فصاعداً سأكتب لك باللغة العربية."),
            ("/help", "/cancel – إيقاف ما تقوم به الآن"),
            ("7", "عذراً، لم أفهم ذلك."),
            ("/cancel", "لا يوجد ما يمكن إلغاؤه الآن."),
        ]:
            os.write(main, f"{typed}\n".encode())
            _expect(main, answer, seen)
        os.write(main, b":quit\n")
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
    assert "Bienvenue ! Je suis l'assistant" in "".join(seen)


class Participant:
    """Reads the screen like a person: presses a button by typing the number shown beside its label."""

    def __init__(self, steps: list[str]) -> None:
        self.steps = iter(steps)
        self.chat: ConsoleChat | None = None

    async def __call__(self) -> str | None:
        step = next(self.steps, None)
        if step is None or not step.startswith("press "):
            return step
        assert self.chat is not None
        label = step.removeprefix("press ")
        labels = self.chat.numbered
        matches = [n for n, text in enumerate(labels, 1) if label in text]
        assert matches, f"no button {label!r} among {labels}"
        return str(matches[0])


async def test_a_new_user_types_through_registration(
    db: Database, assembly: Assembly, tmp_path: Path
) -> None:
    person = Participant(
        [
            "/start register",
            "press Nederlands",
            "press Ik ga akkoord",
            "Jan",
            "press 25 tot 34 jaar",
            "press een man",
            "press Brussel-Stad",
            "press secundair",
            "press heel erg",
            "veel",
            "3",
            "press Nederlands",
            "press Klaar",
            "press zaterdag 6 maart 2027",
            "press Klaar",
            "press Nee",
            "press Klaar",
            "press Niets toe te voegen",
            "press Overslaan",
            "press Bevestigen",
        ]
    )
    out = io.StringIO()
    chat = ConsoleChat(
        db, build_kit(assembly), Sender(78, 78, "Jan", "nl"), Console(file=out, width=200), tmp_path
    )
    person.chat = chat
    await chat.run(person)
    printed = out.getvalue()
    assert "Controleer je antwoorden:" in printed
    assert "Bedankt, je inschrijving is volledig!" in printed
    async with db.transaction() as session:
        store = SqlStore(session, assembly.id)
        participant = await store.participant(78)
        assert participant is not None
        assert await store.registrations.status(participant.id) == "registered"


async def test_digits_answer_a_number_question_and_hash_presses_a_button(
    db: Database, assembly: Assembly, tmp_path: Path
) -> None:
    """At "how many people live in your household?" typing 1 is the answer, not the Back button."""
    registering = ["/start", "1", "2", "1", "Léa", "1", "1", "1", "1", "1"]
    printed = await _chat(db, assembly, tmp_path, [*registering, "1", "#1"])
    lines = [line.strip() for line in printed.splitlines() if line.strip()]
    assert any(line.startswith("Vraag 7 van 12") for line in lines)
    assert any(line.startswith("Vraag 8 van 12") for line in lines)
    assert lines[-7:-5] == ["[1] ☑ Frans", "[2] Nederlands"]  # "#1" pressed the first button
    async with db.transaction() as session:
        store = SqlStore(session, assembly.id)
        person = await store.participant(77)
        assert person is not None
        assert (await store.registrations.answers(person.id))["household"] == 1
