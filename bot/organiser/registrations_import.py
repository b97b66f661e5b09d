"""Registrations on paper, from a CSV file: one row per person, one column per question id holding
the answer as the definition spells it (option ids; several separated by ';'), an optional `language`
column. Every row is checked by the chat's own rules (flows/registration/checks.py) before anything
is stored, and the file is imported whole or not at all."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from bot.store.database import Database
from bot.store.paper import PaperRegistration, register_on_paper
from flows.assembly import Assembly
from flows.registration.checks import check_written

LANGUAGE = "language"


@dataclass(frozen=True)
class Problem:
    """Why row `row` of the file (1 is the header) cannot be imported."""

    row: int
    reason: str


@dataclass(frozen=True)
class Checked:
    people: list[PaperRegistration]
    problems: list[Problem]


def check_file(assembly: Assembly, text: str) -> Checked:
    """Every person in the file, or every problem found (all of them, not just the first)."""
    registration = assembly.registration
    assert registration is not None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    known = {q.id: q for q in registration.questions}
    problems = [
        Problem(1, f"unknown column '{name}'") for name in header if name not in known and name != LANGUAGE
    ]
    missing = [q.id for q in registration.questions if not q.skippable and q.id not in header]
    problems += [Problem(1, f"missing column '{name}' (the question is not optional)") for name in missing]
    if problems:
        return Checked([], problems)
    people = []
    for number, row in enumerate(reader, start=2):
        cells = {(name or "").strip(): (value or "") for name, value in row.items()}
        if not any(value.strip() for value in cells.values()):
            continue
        language = cells.get(LANGUAGE, "").strip() or assembly.fallback_language
        found = []
        if language not in assembly.languages:
            found.append(f"language '{language}' is not offered ({', '.join(assembly.languages)})")
        answers = {}
        for question in registration.questions:
            checked = check_written(question, cells.get(question.id, ""))
            if checked.problem:
                found.append(checked.problem)
            else:
                answers[question.id] = checked.value
        problems += [Problem(number, reason) for reason in found]
        people.append(PaperRegistration(language, answers))
    if not people and not problems:
        problems.append(Problem(1, "the file holds no registration"))
    return Checked(people if not problems else [], problems)


async def import_registrations(
    db: Database, assembly: Assembly, people: list[PaperRegistration], now: datetime
) -> list[int]:
    """Store every person in one transaction: all of them or, on any error, none."""
    registration = assembly.registration
    assert registration is not None
    async with db.transaction() as session:
        return await register_on_paper(session, assembly.id, people, registration.consent.version, now)
