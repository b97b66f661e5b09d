"""The register organisers read: what the confirmed participants answered, and who came, per session."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import AttendanceRow, ParticipantRow, RsvpRow, SessionRow
from bot.store.sessions import CONFIRMED
from flows.ports import Presence, Rsvp


@dataclass(frozen=True)
class Register:
    """Confirmed participants with their answers and check-ins, keyed by (session key, participant id)."""

    confirmed: tuple[tuple[int, str], ...]
    """(participant id, language) of every confirmed participant, by id."""
    rsvps: dict[tuple[str, int], Rsvp]
    presences: dict[tuple[str, int], Presence]


async def register(session: AsyncSession, assembly_id: str) -> Register:
    confirmed = (
        await session.execute(
            select(ParticipantRow.id, ParticipantRow.language)
            .where(ParticipantRow.assembly_id == assembly_id, ParticipantRow.status == CONFIRMED)
            .order_by(ParticipantRow.id)
        )
    ).tuples()
    mine = SessionRow.assembly_id == assembly_id
    answers = await session.execute(
        select(SessionRow.key, RsvpRow.participant_id, RsvpRow.answer, RsvpRow.reason)
        .join(SessionRow, SessionRow.id == RsvpRow.session_id)
        .where(mine)
    )
    present = await session.execute(
        select(
            SessionRow.key,
            AttendanceRow.participant_id,
            AttendanceRow.checked_in_at,
            AttendanceRow.late,
            AttendanceRow.method,
        )
        .join(SessionRow, SessionRow.id == AttendanceRow.session_id)
        .where(mine)
    )
    return Register(
        confirmed=tuple(confirmed),
        rsvps={(key, pid): Rsvp(answer, reason) for key, pid, answer, reason in answers.tuples()},
        presences={(key, pid): Presence(at, late, method) for key, pid, at, late, method in present.tuples()},
    )
