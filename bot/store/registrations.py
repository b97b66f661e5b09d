"""The flows' `RegistrationStore` port in SQL: status, consent, answers, invitations, seats, erasure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import audit, invitations, outbox, paper, personal
from bot.store.models import (
    AnswerRow,
    InvitationRow,
    ParticipantRow,
    SeatRow,
)
from flows.actions import Action
from flows.ports import InvitationOutcome, Reachable, Reserve, Seat
from flows.status import ParticipantStatus


class SqlRegistrations:
    """Implements `flows.ports.RegistrationStore` on the caller's session; never commits."""

    def __init__(self, session: AsyncSession, assembly_id: str) -> None:
        self.session, self.assembly_id = session, assembly_id

    async def _participant(self, participant_id: int) -> ParticipantRow:
        return await self.session.get_one(ParticipantRow, participant_id)

    async def status(self, participant_id: int) -> ParticipantStatus:
        return ParticipantStatus((await self._participant(participant_id)).status)

    async def set_status(self, participant_id: int, status: ParticipantStatus, now: datetime) -> None:
        row = await self._participant(participant_id)
        row.status = status.value
        if status is ParticipantStatus.REGISTERED:
            row.registered_at = now

    async def record_consent(self, participant_id: int, version: str, now: datetime) -> None:
        row = await self._participant(participant_id)
        row.consent_version, row.consented_at = version, now

    async def open_by_phone(self, language: str, consent_version: str, now: datetime) -> int:
        return await paper.add_offline(
            self.session,
            self.assembly_id,
            None,
            language,
            medium=paper.PHONE,
            consent_version=consent_version,
            now=now,
        )

    async def registered_by_phone(self, participant_id: int, staff_id: int, now: datetime) -> None:
        person = await self._participant(participant_id)
        await audit.record(
            self.session,
            self.assembly_id,
            "phone_registration",
            actor=await audit.staff(self.session, self.assembly_id, staff_id),
            now=now,
            participant=participant_id,
            consent_version=person.consent_version,
        )

    async def drop_by_phone(self, participant_id: int) -> None:
        await paper.drop_offline(self.session, self.assembly_id, participant_id)

    async def answers(self, participant_id: int) -> dict[str, Any]:
        query = select(AnswerRow.question_id, AnswerRow.value).where(
            AnswerRow.participant_id == participant_id
        )
        return {question: value for question, value in (await self.session.execute(query)).all()}

    async def save_answer(self, participant_id: int, question_id: str, value: Any, now: datetime) -> None:
        row = await self.session.get(AnswerRow, (participant_id, question_id))
        if row is None:
            self.session.add(
                AnswerRow(
                    participant_id=participant_id, question_id=question_id, value=value, answered_at=now
                )
            )
        else:
            row.value, row.answered_at = value, now

    async def clear_answers(self, participant_id: int) -> None:
        await self.session.execute(delete(AnswerRow).where(AnswerRow.participant_id == participant_id))

    async def invited(self, participant_id: int) -> bool:
        query = select(exists().where(InvitationRow.participant_id == participant_id))
        return bool(await self.session.scalar(query))

    async def claim_invitation(self, code: str, participant_id: int, now: datetime) -> InvitationOutcome:
        return await invitations.claim(self.session, self.assembly_id, code, participant_id, now)

    async def personal_data(self, participant_id: int) -> dict[str, Any]:
        return await personal.personal_data(self.session, participant_id)

    async def erase(self, participant_id: int, status: ParticipantStatus) -> None:
        """Delete everything personal (bot/store/personal.py); keep the row, anonymous, for counts."""
        await personal.erase(self.session, participant_id, status)
        # That an erasure happened is kept; who asked for it is exactly what it erases.
        await audit.record(self.session, self.assembly_id, "erasure", actor=audit.NOBODY)

    async def discard(self, participant_id: int) -> None:
        await personal.discard(self.session, participant_id)

    async def _seat_row(self, participant_id: int) -> SeatRow | None:
        query = (
            select(SeatRow)
            .where(SeatRow.participant_id == participant_id)
            .order_by(SeatRow.selection_id.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def seat(self, participant_id: int) -> Seat | None:
        row = await self._seat_row(participant_id)
        return None if row is None else Seat(row.selection_id, row.role, row.deadline)

    async def close_seat(self, participant_id: int, selection_id: int, outcome: str, now: datetime) -> None:
        row = await self.session.get_one(SeatRow, (selection_id, participant_id))
        row.outcome, row.responded_at = outcome, now

    async def reserves(self, selection_id: int, features: Sequence[str]) -> list[Reserve]:
        query = (
            select(SeatRow.participant_id, SeatRow.rank)
            .join(ParticipantRow, ParticipantRow.id == SeatRow.participant_id)
            .where(
                SeatRow.selection_id == selection_id,
                SeatRow.role == "reserve",
                SeatRow.offered_at.is_(None),
                ParticipantRow.status == ParticipantStatus.RESERVE.value,
            )
            .order_by(SeatRow.rank)
        )
        found = (await self.session.execute(query)).all()
        values = (
            await self.session.execute(
                select(AnswerRow.participant_id, AnswerRow.question_id, AnswerRow.value).where(
                    AnswerRow.participant_id.in_([pid for pid, _ in found]),
                    AnswerRow.question_id.in_(list(features)),
                )
            )
        ).all()
        by_person: dict[int, dict[str, Any]] = {}
        for pid, question, value in values:
            by_person.setdefault(pid, {})[question] = value
        return [Reserve(pid, rank, by_person.get(pid, {})) for pid, rank in found]

    async def offer_seat(
        self, participant_id: int, selection_id: int, now: datetime, deadline: datetime, replaces: int
    ) -> Reachable:
        row = await self.session.get_one(SeatRow, (selection_id, participant_id))
        row.offered_at, row.deadline, row.replaces_id = now, deadline, replaces
        person = await self._participant(participant_id)
        person.status = ParticipantStatus.SELECTED.value
        return Reachable(person.id, person.chat_id, person.language)

    async def reach(self, participant_id: int) -> Reachable:
        person = await self._participant(participant_id)
        return Reachable(person.id, person.chat_id, person.language)

    async def notify(self, chat_id: int, actions: Sequence[Action]) -> None:
        if chat_id:  # 0: registered on paper, or erased; staff reach them by phone (the call list)
            outbox.enqueue(self.session, self.assembly_id, chat_id, actions)
