"""Draws in the store: the pool's answers, the record of a draw and its seats, and seats past their
deadline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import AnswerRow, ParticipantRow, SeatRow, SelectionRow
from flows.status import ParticipantStatus


async def pool_answers(
    session: AsyncSession, assembly_id: str, features: Sequence[str]
) -> dict[int, dict[str, Any]]:
    """The answers to `features` of every participant whose status is `registered`, by participant."""
    people = select(ParticipantRow.id).where(
        ParticipantRow.assembly_id == assembly_id, ParticipantRow.status == ParticipantStatus.REGISTERED.value
    )
    rows = await session.execute(
        select(AnswerRow.participant_id, AnswerRow.question_id, AnswerRow.value).where(
            AnswerRow.participant_id.in_(people), AnswerRow.question_id.in_(list(features))
        )
    )
    answers: dict[int, dict[str, Any]] = {}
    for pid, question, value in rows.tuples():
        answers.setdefault(pid, {})[question] = value
    return answers


@dataclass(frozen=True)
class DrawRecord:
    """What is kept of a draw, so anyone can check it: the request, the algorithm used, the seed."""

    seats: int
    seed: int
    requested_algorithm: str
    algorithm: str
    pool_size: int
    report: str


async def record_draw(session: AsyncSession, assembly_id: str, draw: DrawRecord, now: datetime) -> int:
    """Store the draw; returns its id, which its seats and the buttons of its offers carry."""
    row = SelectionRow(
        assembly_id=assembly_id,
        seats=draw.seats,
        seed=draw.seed,
        requested_algorithm=draw.requested_algorithm,
        algorithm=draw.algorithm,
        pool_size=draw.pool_size,
        report=draw.report,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row.id


def offer_seat(
    session: AsyncSession, selection_id: int, participant_id: int, now: datetime, deadline: datetime
) -> None:
    """A drawn person's seat, to be confirmed by `deadline`."""
    session.add(
        SeatRow(
            selection_id=selection_id,
            participant_id=participant_id,
            role="selected",
            offered_at=now,
            deadline=deadline,
        )
    )


def rank_reserve(session: AsyncSession, selection_id: int, participant_id: int, rank: int) -> None:
    """A reserve's place in the order in which freed seats are offered."""
    session.add(SeatRow(selection_id=selection_id, participant_id=participant_id, role="reserve", rank=rank))


@dataclass(frozen=True)
class OverdueSeat:
    participant_id: int
    selection_id: int


async def overdue_seats(session: AsyncSession, assembly_id: str, now: datetime) -> list[OverdueSeat]:
    """Seats offered and still unanswered after their deadline, the longest overdue first. On
    PostgreSQL they stay locked until the caller commits, and seats another worker holds are
    skipped, so two workers never close the same seat."""
    query = (
        select(SeatRow.participant_id, SeatRow.selection_id)
        .join(SelectionRow, SelectionRow.id == SeatRow.selection_id)
        .join(ParticipantRow, ParticipantRow.id == SeatRow.participant_id)
        .where(
            SelectionRow.assembly_id == assembly_id,
            SeatRow.outcome.is_(None),
            SeatRow.deadline.is_not(None),
            SeatRow.deadline < now,
            ParticipantRow.status == ParticipantStatus.SELECTED.value,
        )
        .order_by(SeatRow.deadline, SeatRow.participant_id)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(of=SeatRow, skip_locked=True)
    return [OverdueSeat(pid, selection) for pid, selection in (await session.execute(query)).tuples()]
