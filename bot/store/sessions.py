"""Sessions, RSVPs and attendance in the store: the flows' `SessionStore` port and plain queries."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import AttendanceRow, ParticipantRow, RsvpRow, SessionRow
from flows.ports import Presence, Rsvp

CONFIRMED = "confirmed"
"""The participant status the registration flow gives to people who take part in the sessions."""

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Check-in codes avoid 0/O and 1/I, which people misread on a projected slide."""


def new_code(length: int = 6) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalize_code(text: str) -> str:
    """What a person typed or scanned, as stored: upper case, no spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


@dataclass(frozen=True)
class SessionRecord:
    """A session as stored: its current times, `revision` (up by one at each move) and check-in code."""

    id: int
    key: str
    title: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    revision: int
    cancelled_at: datetime | None
    checkin_code: str


def _record(row: SessionRow) -> SessionRecord:
    return SessionRecord(
        row.id,
        row.key,
        dict(row.title),
        row.starts_at,
        row.ends_at,
        row.revision,
        row.cancelled_at,
        row.checkin_code,
    )


def reachable_confirmed(assembly_id: str) -> Select[tuple[ParticipantRow]]:
    """Confirmed participants of the assembly who have not blocked the bot, in a stable order."""
    return (
        select(ParticipantRow)
        .where(
            ParticipantRow.assembly_id == assembly_id,
            ParticipantRow.status == CONFIRMED,
            ParticipantRow.blocked_at.is_(None),
        )
        .order_by(ParticipantRow.id)
    )


async def session_rows(session: AsyncSession, assembly_id: str) -> list[SessionRow]:
    query = select(SessionRow).where(SessionRow.assembly_id == assembly_id).order_by(SessionRow.starts_at)
    return list((await session.execute(query)).scalars())


async def session_records(session: AsyncSession, assembly_id: str) -> list[SessionRecord]:
    """The assembly's stored sessions, earliest first, cancelled ones included."""
    return [_record(row) for row in await session_rows(session, assembly_id)]


async def session_row(session: AsyncSession, assembly_id: str, key: str) -> SessionRow | None:
    query = select(SessionRow).where(SessionRow.assembly_id == assembly_id, SessionRow.key == key)
    return (await session.execute(query)).scalar_one_or_none()


async def session_pk(session: AsyncSession, assembly_id: str, key: str) -> int:
    """The primary key of session `key`; flows only know sessions that are in the store."""
    row = await session_row(session, assembly_id, key)
    if row is None:
        raise LookupError(f"session {key!r} is not in the store")
    return row.id


class SqlSessions:
    """Implements `flows.ports.SessionStore` on the caller's session; never commits."""

    def __init__(self, session: AsyncSession, assembly_id: str) -> None:
        self.session = session
        self.assembly_id = assembly_id

    async def _session_id(self, key: str) -> int:
        row = await session_row(self.session, self.assembly_id, key)
        if row is None:
            raise LookupError(f"session {key!r} is not in the store")
        return row.id

    async def is_confirmed(self, participant_id: int) -> bool:
        row = await self.session.get(ParticipantRow, participant_id)
        return row is not None and row.status == CONFIRMED and row.assembly_id == self.assembly_id

    async def rsvps(self, participant_id: int) -> dict[str, Rsvp]:
        query = (
            select(SessionRow.key, RsvpRow.answer, RsvpRow.reason)
            .join(SessionRow, SessionRow.id == RsvpRow.session_id)
            .where(RsvpRow.participant_id == participant_id)
        )
        return {key: Rsvp(answer, reason) for key, answer, reason in (await self.session.execute(query))}

    async def set_rsvp(self, participant_id: int, session_id: str, answer: str, at: datetime) -> None:
        key = (await self._session_id(session_id), participant_id)
        row = await self.session.get(RsvpRow, key)
        if row is None:
            row = RsvpRow(session_id=key[0], participant_id=participant_id)
            self.session.add(row)
        row.answer, row.reason, row.answered_at = answer, None, at

    async def set_rsvp_reason(self, participant_id: int, session_id: str, reason: str) -> None:
        row = await self.session.get(RsvpRow, (await self._session_id(session_id), participant_id))
        if row is not None:
            row.reason = reason

    async def session_for_code(self, code: str) -> str | None:
        query = select(SessionRow.key).where(
            SessionRow.assembly_id == self.assembly_id, SessionRow.checkin_code == normalize_code(code)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def presences(self, participant_id: int) -> dict[str, Presence]:
        query = (
            select(SessionRow.key, AttendanceRow)
            .join(SessionRow, SessionRow.id == AttendanceRow.session_id)
            .where(AttendanceRow.participant_id == participant_id)
        )
        return {
            key: Presence(row.checked_in_at, row.late, row.method)
            for key, row in (await self.session.execute(query)).tuples()
        }

    async def check_in(self, participant_id: int, session_id: str, presence: Presence) -> bool:
        key = (await self._session_id(session_id), participant_id)
        if await self.session.get(AttendanceRow, key) is not None:
            return False
        self.session.add(
            AttendanceRow(
                session_id=key[0],
                participant_id=participant_id,
                checked_in_at=presence.at,
                late=presence.late,
                method=presence.method,
            )
        )
        await self.session.flush()
        return True
