"""The tables an export holds, read from the store in batches so a large store never sits in memory.

Personal columns (Telegram and chat ids, RSVP reasons) are selected only when asked for; which
answers are personal is the exporter's call, since it depends on each question's kind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import AnswerRow, AttendanceRow, ParticipantRow, RsvpRow, SessionRow

BATCH = 2000


@dataclass(frozen=True)
class Dataset:
    """One exported table: its name, its columns in the order its rows hold them, and whether it
    holds the personal columns."""

    name: str
    columns: tuple[str, ...]
    personal: bool


def _mine(assembly_id: str) -> Select[tuple[int]]:
    return select(ParticipantRow.id).where(ParticipantRow.assembly_id == assembly_id)


def _participants(assembly_id: str, personal: bool) -> Select[Any]:
    columns = [
        ParticipantRow.id,
        ParticipantRow.language,
        ParticipantRow.status,
        ParticipantRow.created_at,
        ParticipantRow.registered_at,
        ParticipantRow.consent_version,
        ParticipantRow.blocked_at.is_not(None),
    ]
    if personal:
        columns += [ParticipantRow.telegram_user_id, ParticipantRow.chat_id]
    return select(*columns).where(ParticipantRow.assembly_id == assembly_id).order_by(ParticipantRow.id)


def _answers(assembly_id: str, personal: bool) -> Select[Any]:
    return (
        select(AnswerRow.participant_id, AnswerRow.question_id, AnswerRow.value)
        .where(AnswerRow.participant_id.in_(_mine(assembly_id)))
        .order_by(AnswerRow.participant_id, AnswerRow.question_id)
    )


def only_questions(query: Select[Any], questions: Collection[str]) -> Select[Any]:
    """The answers dataset narrowed to `questions` (those whose answers may leave without personal data),
    so its count and its rows agree."""
    return query.where(AnswerRow.question_id.in_(list(questions)))


def _sessions(assembly_id: str, personal: bool) -> Select[Any]:
    return (
        select(
            SessionRow.key,
            SessionRow.starts_at,
            SessionRow.ends_at,
            SessionRow.cancelled_at,
            SessionRow.revision,
        )
        .where(SessionRow.assembly_id == assembly_id)
        .order_by(SessionRow.starts_at)
    )


def _rsvps(assembly_id: str, personal: bool) -> Select[Any]:
    key = select(SessionRow.key).where(SessionRow.id == RsvpRow.session_id).scalar_subquery()
    columns = [key, RsvpRow.participant_id, RsvpRow.answer, RsvpRow.answered_at]
    if personal:
        columns.append(RsvpRow.reason)
    return (
        select(*columns)
        .where(RsvpRow.participant_id.in_(_mine(assembly_id)))
        .order_by(RsvpRow.session_id, RsvpRow.participant_id)
    )


def _attendance(assembly_id: str, personal: bool) -> Select[Any]:
    key = select(SessionRow.key).where(SessionRow.id == AttendanceRow.session_id).scalar_subquery()
    return (
        select(
            key,
            AttendanceRow.participant_id,
            AttendanceRow.checked_in_at,
            AttendanceRow.late,
            AttendanceRow.method,
        )
        .where(AttendanceRow.participant_id.in_(_mine(assembly_id)))
        .order_by(AttendanceRow.session_id, AttendanceRow.participant_id)
    )


_STRATA = ("feature", "value", "registered", "confirmed", "min_seats", "max_seats", "gap")


def _strata(assembly_id: str, personal: bool) -> Select[Any]:
    return (
        select(*(literal_column(column) for column in _STRATA))
        .select_from(text("report_strata"))
        .where(text("assembly_id = :assembly").bindparams(assembly=assembly_id))
        .order_by(text("feature"), text("value"))
    )


@dataclass(frozen=True)
class _Table:
    name: str
    columns: tuple[str, ...]
    personal_columns: tuple[str, ...]
    """Appended to `columns` when personal data is asked for."""
    query: Callable[[str, bool], Select[Any]]


_TABLES = (
    _Table(
        "participants",
        ("participant", "language", "status", "first_contact", "registered_at", "consent_version", "blocked"),
        ("telegram_user_id", "chat_id"),
        _participants,
    ),
    _Table("answers", ("participant", "question", "value"), (), _answers),
    _Table("sessions", ("session", "starts_at", "ends_at", "cancelled_at", "revision"), (), _sessions),
    _Table("rsvps", ("session", "participant", "answer", "answered_at"), ("reason",), _rsvps),
    _Table("attendance", ("session", "participant", "checked_in_at", "late", "method"), (), _attendance),
    _Table("strata", _STRATA, (), _strata),
)


def datasets(include_personal: bool) -> tuple[Dataset, ...]:
    """What an export holds, in order; the personal columns only when asked for."""
    return tuple(
        Dataset(t.name, t.columns + t.personal_columns if include_personal else t.columns, include_personal)
        for t in _TABLES
    )


def _query(assembly_id: str, dataset: Dataset, questions: Collection[str] | None) -> Select[Any]:
    table = next(t for t in _TABLES if t.name == dataset.name)
    query = table.query(assembly_id, dataset.personal)
    return only_questions(query, questions) if questions is not None and dataset.name == "answers" else query


async def count_rows(
    session: AsyncSession, assembly_id: str, dataset: Dataset, questions: Collection[str] | None = None
) -> int:
    """How many rows `rows` yields; `questions` narrows the answers as there."""
    query = _query(assembly_id, dataset, questions).subquery()
    return int(await session.scalar(select(func.count()).select_from(query)) or 0)


async def rows(
    session: AsyncSession, assembly_id: str, dataset: Dataset, questions: Collection[str] | None = None
) -> AsyncIterator[tuple[Any, ...]]:
    """The dataset's rows as they are stored (datetimes, JSON values), fetched in batches; the answers
    only to `questions` when given."""
    query = _query(assembly_id, dataset, questions)
    result = await session.stream(query.execution_options(yield_per=BATCH))
    async for partition in result.partitions(BATCH):
        for raw in partition:
            yield tuple(raw)
