"""People registered by staff, on paper or by phone: no Telegram account (`chat_id` 0, a placeholder user
id below PAPER_USER_IDS), consent recorded with `consent_medium` 'paper' or 'phone', and the drawn among
them to phone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import participants
from bot.store.models import AnswerRow, ParticipantRow, SeatRow
from flows.status import ParticipantStatus

PAPER, PHONE = "paper", "phone"
OFFLINE = (PAPER, PHONE)
"""How staff took a registration of someone without Telegram: from a paper form, or on the phone."""
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
    next_id = await _next_user_id(session)
    store = participants.SqlStore(session, assembly_id)
    added = []
    for offset, person in enumerate(people):
        participant = await add_offline(
            session,
            assembly_id,
            next_id - offset,
            person.language,
            medium=PAPER,
            consent_version=consent_version,
            now=now,
        )
        for question, value in person.answers.items():
            await store.registrations.save_answer(participant, question, value, now)
        await store.registrations.set_status(participant, ParticipantStatus.REGISTERED, now)
        added.append(participant)
    return added


async def _next_user_id(session: AsyncSession) -> int:
    """The next placeholder Telegram user id for someone without Telegram (they count down)."""
    lowest = await session.scalar(
        select(func.min(ParticipantRow.telegram_user_id)).where(
            ParticipantRow.telegram_user_id <= PAPER_USER_IDS
        )
    )
    return (PAPER_USER_IDS if lowest is None else lowest) - 1


async def add_offline(
    session: AsyncSession,
    assembly_id: str,
    user_id: int | None,
    language: str,
    *,
    medium: str,
    consent_version: str,
    now: datetime,
) -> int:
    """A person without Telegram (`user_id` None: the next placeholder), consent given through `medium`;
    status `registering` until their answers are in. Their participant id."""
    store = participants.SqlStore(session, assembly_id)
    if user_id is None:
        user_id = await _next_user_id(session)
    participant = await store.add_participant(user_id, 0, language)
    await store.registrations.record_consent(participant.id, consent_version, now)
    await store.registrations.set_status(participant.id, ParticipantStatus.REGISTERING, now)
    row = await session.get_one(ParticipantRow, participant.id)
    row.consent_medium = medium
    return participant.id


async def drop_offline(session: AsyncSession, assembly_id: str, participant_id: int) -> None:
    """Discard a registration by staff still under way (status `registering`): answers and row."""
    row = await session.get(ParticipantRow, participant_id)
    if (
        row is None
        or row.assembly_id != assembly_id
        or row.consent_medium not in OFFLINE
        or row.status != ParticipantStatus.REGISTERING.value
    ):
        return
    await session.execute(delete(AnswerRow).where(AnswerRow.participant_id == participant_id))
    await session.delete(row)
    await session.flush()


@dataclass(frozen=True)
class ToCall:
    """A person without Telegram whose seat waits for an answer (or was answered) by phone."""

    participant_id: int
    status: str
    deadline: datetime | None
    answers: dict[str, Any]


async def call_list(session: AsyncSession, assembly_id: str, questions: Sequence[str]) -> list[ToCall]:
    """Drawn people registered by staff (offered a seat, confirmed or not yet), with their answers to
    `questions` (the caller picks which: none without the personal-data flag)."""
    drawn = (
        await session.execute(
            select(ParticipantRow.id, ParticipantRow.status, func.max(SeatRow.deadline))
            .join(SeatRow, SeatRow.participant_id == ParticipantRow.id)
            .where(
                ParticipantRow.assembly_id == assembly_id,
                ParticipantRow.consent_medium.in_(OFFLINE),
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
    return row is not None and row.assembly_id == assembly_id and row.consent_medium in OFFLINE
