"""Draws in the store: the pool's answers, the record of a draw, its seats and everyone's chance, and
seats past their deadline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import AnswerRow, ChanceRow, ParticipantRow, SeatRow, SelectionRow
from flows.status import ParticipantStatus


async def pool_answers(
    session: AsyncSession,
    assembly_id: str,
    features: Sequence[str],
    participants: Sequence[int] | None = None,
) -> dict[int, dict[str, Any]]:
    """The answers to `features` of every participant whose status is `registered` (or of the given
    `participants`, whatever their status now: the pool of a past draw), by participant."""
    people = select(ParticipantRow.id).where(ParticipantRow.assembly_id == assembly_id)
    if participants is None:
        people = people.where(ParticipantRow.status == ParticipantStatus.REGISTERED.value)
    else:
        people = people.where(ParticipantRow.id.in_(list(participants)))
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
    input_hash: str
    versions: str
    gap: float | None
    transparency: dict[str, Any]


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
        input_hash=draw.input_hash,
        versions=draw.versions,
        gap=draw.gap,
        transparency=draw.transparency,
    )
    session.add(row)
    await session.flush()
    return row.id


def record_chances(session: AsyncSession, selection_id: int, chances: Mapping[int, float | None]) -> None:
    """Everyone in the pool with their selection probability: the pool of the draw, kept with it."""
    session.add_all(
        ChanceRow(selection_id=selection_id, participant_id=pid, probability=chance)
        for pid, chance in chances.items()
    )


async def find_draw(
    session: AsyncSession, assembly_id: str, selection_id: int | None = None
) -> SelectionRow | None:
    """The draw `selection_id` of the assembly, or its latest draw."""
    query = select(SelectionRow).where(SelectionRow.assembly_id == assembly_id)
    if selection_id is not None:
        query = query.where(SelectionRow.id == selection_id)
    row: SelectionRow | None = await session.scalar(query.order_by(SelectionRow.id.desc()).limit(1))
    return row


@dataclass(frozen=True)
class DrawMembers:
    """Who a draw drew (in id order), its reserves (in rank order) and its whole pool (in id order)."""

    selected: list[int]
    reserves: list[int]
    pool: list[int]


async def draw_members(session: AsyncSession, selection_id: int) -> DrawMembers:
    seats = (
        await session.execute(
            select(SeatRow.participant_id, SeatRow.role)
            .where(SeatRow.selection_id == selection_id)
            .order_by(SeatRow.rank, SeatRow.participant_id)
        )
    ).tuples()
    selected: list[int] = []
    reserves: list[int] = []
    for pid, role in seats:
        (selected if role == "selected" else reserves).append(pid)
    pool = await session.scalars(
        select(ChanceRow.participant_id)
        .where(ChanceRow.selection_id == selection_id)
        .order_by(ChanceRow.participant_id)
    )
    return DrawMembers(sorted(selected), reserves, list(pool))


async def latest_chance(session: AsyncSession, participant_id: int) -> float | None:
    """The participant's selection probability in the latest draw they were in (None if none is known)."""
    return await session.scalar(
        select(ChanceRow.probability)
        .where(ChanceRow.participant_id == participant_id)
        .order_by(ChanceRow.selection_id.desc())
        .limit(1)
    )


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
