"""People registered on paper by staff: no Telegram account (`chat_id` 0, a placeholder user id below
PAPER_USER_IDS), consent recorded with `consent_medium` 'paper', and the drawn among them to phone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import AnswerRow, ParticipantRow, SeatRow
from bot.store.participants import SqlStore
from flows.status import ParticipantStatus

PAPER = "paper"
PAPER_USER_IDS = -(10**15)
"""Placeholder Telegram user ids for people without Telegram start below this (erased people's rows
use minus their participant id, far above it), so the unique column never collides."""


@dataclass(frozen=True)
class PaperRegistration:
    language: str
    answers: Mapping[str, Any]


async def register_on_paper(
    session: AsyncSession,
    assembly_id: str,
    people: Sequence[PaperRegistration],
    consent_version: str,
    now: datetime,
) -> list[int]:
    """Add every person as `registered`, with their answers and consent given on paper; their ids."""
    lowest = await session.scalar(
        select(func.min(ParticipantRow.telegram_user_id)).where(
            ParticipantRow.telegram_user_id <= PAPER_USER_IDS
        )
    )
    next_id = (PAPER_USER_IDS if lowest is None else lowest) - 1
    store = SqlStore(session, assembly_id)
    added = []
    for offset, person in enumerate(people):
        participant = await store.add_participant(next_id - offset, 0, person.language)
        await store.registrations.record_consent(participant.id, consent_version, now)
        for question, value in person.answers.items():
            await store.registrations.save_answer(participant.id, question, value, now)
        await store.registrations.set_status(participant.id, ParticipantStatus.REGISTERED, now)
        row = await session.get_one(ParticipantRow, participant.id)
        row.consent_medium = PAPER
        added.append(participant.id)
    return added


@dataclass(frozen=True)
class ToCall:
    """A person without Telegram whose seat waits for an answer (or was answered) by phone."""

    participant_id: int
    status: str
    deadline: datetime | None
    answers: dict[str, Any]


async def call_list(session: AsyncSession, assembly_id: str, questions: Sequence[str]) -> list[ToCall]:
    """Drawn people registered on paper (offered a seat, confirmed or not yet), with their answers to
    `questions` (the caller picks which: none without the personal-data flag)."""
    drawn = (
        await session.execute(
            select(ParticipantRow.id, ParticipantRow.status, func.max(SeatRow.deadline))
            .join(SeatRow, SeatRow.participant_id == ParticipantRow.id)
            .where(
                ParticipantRow.assembly_id == assembly_id,
                ParticipantRow.consent_medium == PAPER,
                SeatRow.offered_at.is_not(None),
                ParticipantRow.status.in_(
                    [ParticipantStatus.SELECTED.value, ParticipantStatus.CONFIRMED.value]
                ),
            )
            .group_by(ParticipantRow.id, ParticipantRow.status)
            .order_by(ParticipantRow.id)
        )
    ).tuples()
    people = {pid: ToCall(pid, status, deadline, {}) for pid, status, deadline in drawn}
    if questions and people:
        rows = await session.execute(
            select(AnswerRow.participant_id, AnswerRow.question_id, AnswerRow.value).where(
                AnswerRow.participant_id.in_(list(people)), AnswerRow.question_id.in_(list(questions))
            )
        )
        for pid, question, value in rows.tuples():
            people[pid].answers[question] = value
    return list(people.values())


async def on_paper(session: AsyncSession, assembly_id: str, participant_id: int) -> bool:
    row = await session.get(ParticipantRow, participant_id)
    return row is not None and row.assembly_id == assembly_id and row.consent_medium == PAPER
