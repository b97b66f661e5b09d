"""`assembly-bot chat --as facilitator`: a facilitator rehearses a table poll with simulated participants."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from sqlalchemy import func, select

from bot.adapters.clock import ManualClock
from bot.bootstrap import build_kit
from bot.console.chat import ConsoleChat
from bot.console.rehearsal import TABLEMATES, Rehearsal
from bot.store.database import Database
from bot.store.models import PollAnswerRow
from flows.assembly import Assembly
from flows.events import Sender


class Typist:
    def __init__(self, lines: list[str]) -> None:
        self.lines: Iterator[str] = iter(lines)

    async def __call__(self) -> str | None:
        return next(self.lines, None)


async def _rehearsal(
    db: Database, assembly: Assembly, tmp_path: Path, user_id: int
) -> tuple[ConsoleChat, io.StringIO]:
    """A facilitator's console in a rehearsal of the first session, ten minutes in, its table seeded;
    returns the chat and what it prints."""
    first = assembly.sessions[0]
    clock = ManualClock(assembly.start_of(first) + timedelta(minutes=10))
    out = io.StringIO()
    chat = ConsoleChat(
        db,
        build_kit(assembly, clock=clock),
        Sender(user_id, user_id, "Sofia", "en"),
        Console(file=out, width=200, color_system=None),
        tmp_path / "files",
        queue=True,
    )
    rehearsal = Rehearsal(chat, first.id)
    chat.after = rehearsal.deliver
    await rehearsal.seed()
    return chat, out


async def test_a_facilitator_triggers_watches_and_closes_a_table_poll(
    db: Database, assembly: Assembly, tmp_path: Path
) -> None:
    chat, out = await _rehearsal(db, assembly, tmp_path, 91)
    # /poll, the first template (a proposal), "My table (1)", then close it.
    await chat.run(Typist(["/poll", "1", "1", "1"]))
    lines = [line.strip() for line in out.getvalue().splitlines() if line.strip()]
    assert lines.index("[1] My table (1)") < lines.index("0 of 5 answered")
    counts = [line for line in lines if line.endswith(" of 5 answered")]
    assert counts[:6] == [f"{n} of 5 answered" for n in range(6)]
    assert "Closed." in lines
    results = lines.index("5 answers")
    assert lines[results - 1].startswith("📊 Results: Proposal: the city centre")
    assert any(line.startswith("File saved:") for line in lines[results:])
    # The ballots went to the table in each person's language, and their answers are in the store.
    async with db.transaction() as session:
        answers = await session.scalar(select(func.count()).select_from(PollAnswerRow))
    assert answers == len(TABLEMATES)
    assert not any("Sondage pour la table 1" in line for line in lines)  # ballots are not printed here


async def test_the_simulated_table_answers_every_kind_and_a_poll_is_composed_line_by_line(
    db: Database, assembly: Assembly, tmp_path: Path
) -> None:
    chat, out = await _rehearsal(db, assembly, tmp_path, 92)
    kinds = [line for line in assembly.polls if line.kind in ("ranking", "dots")]
    assert [t.id for t in assembly.polls].index(kinds[0].id) == 1
    typed = [
        *("/poll", "2", "1", "1"),  # the ranking template, my table, close
        *("/poll", "4", "1", "1"),  # the dot vote
        # A new multiple-choice poll: its options one per line, an empty line ends the list.
        *("/poll", "5", "2", "Which topics first?", "Heat", "Transport", "Food", "", "1", "1"),
        *("/poll", "5", "8", "What should we ask the experts?", "1", "1"),  # an open question
    ]
    await chat.run(Typist(typed))
    lines = [line.strip() for line in out.getvalue().splitlines() if line.strip()]
    assert lines.count("5 of 5 answered") == 2 * 4, "each kind is answered by the whole table (live, closed)"
    assert "Type one option per line; an empty line (or: done) ends the list." in lines
    assert "Who should answer “Which topics first?”?" in lines
    assert lines.count("Closed.") == 4
    async with db.transaction() as session:
        answers = await session.scalar(select(func.count()).select_from(PollAnswerRow))
    assert answers == 4 * len(TABLEMATES)
