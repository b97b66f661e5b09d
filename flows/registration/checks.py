"""The rules an answer must meet, whoever gives it: typed in the chat, or written in a file of paper
registrations. The chat turns a problem into a translated reply; an import lists it by row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flows.numbers import parse_int
from flows.questionnaire import Question

MULTIPLE_SEPARATOR = ";"
"""Between the option ids of one answer to a `multiple`, `availability` or `accessibility` question."""

_PHONE = re.compile(r"\+?[0-9][0-9 ./-]{5,22}[0-9]")


@dataclass(frozen=True)
class Checked:
    """The value to store, or why there is none (`problem`, in plain words for organisers)."""

    value: Any = None
    problem: str = ""


def parse_number(question: Question, text: str) -> int | None:
    """A whole number within the question's bounds: "1 200" and Arabic-Indic "٣٤" read too."""
    return parse_int("".join(text.split()), question.min or 0, question.max or 0)


def multi_values(question: Question) -> list[str]:
    """What may be ticked, in the order the chat shows it: dates for availability, else option ids."""
    if question.kind == "availability":
        return [day.isoformat() for day in question.dates]
    return list(question.values)


def check_written(question: Question, text: str) -> Checked:
    """An answer written as text: an option id (several separated by ';'), a number, a text, a phone
    number. Empty means skipped, which only a question the chat lets people skip allows."""
    text = text.strip()
    if not text:
        if question.kind == "accessibility":  # the chat's Done with nothing ticked: no needs
            return Checked({"needs": [], "note": ""})
        return Checked() if question.skippable else Checked(problem=f"{question.id}: an answer is required")
    if question.kind in ("choice", "yes_no"):
        if text in question.values:
            return Checked(text)
        return Checked(problem=f"{question.id}: '{text}' is not one of {', '.join(question.values)}")
    if question.kind in ("multiple", "availability", "accessibility"):
        allowed = multi_values(question)
        given = [part.strip() for part in text.split(MULTIPLE_SEPARATOR) if part.strip()]
        unknown = [part for part in given if part not in allowed]
        if unknown:
            return Checked(problem=f"{question.id}: {', '.join(unknown)} not among {', '.join(allowed)}")
        picked = [value for value in allowed if value in given]
        return Checked({"needs": picked, "note": ""} if question.kind == "accessibility" else picked)
    if question.kind == "number":
        number = parse_number(question, text)
        if number is None:
            return Checked(
                problem=f"{question.id}: '{text}' is not a whole number from {question.min} to {question.max}"
            )
        return Checked(number)
    if question.kind == "phone":
        if _PHONE.fullmatch(text) is None:
            return Checked(problem=f"{question.id}: '{text}' is not a phone number")
        return Checked(text)
    if len(text) > question.max_length:
        return Checked(problem=f"{question.id}: longer than {question.max_length} characters")
    return Checked(text)
