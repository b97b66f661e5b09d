"""Announcements in the store: who an organiser's message reaches, and the record of each one sent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import audit
from bot.store.models import AnnouncementRow, ParticipantRow, RsvpRow
from bot.store.sessions import participants_of, reachable_confirmed, session_row
from flows.ports import Participant
from flows.sessions.notices import ABSENT


async def audience(
    session: AsyncSession, assembly_id: str, session_key: str | None
) -> list[Participant] | None:
    """Every reachable confirmed participant, by id; for a session, all but those who said they cannot
    come. None when the assembly has no session `session_key`."""
    query = reachable_confirmed(assembly_id)
    if session_key is not None:
        row = await session_row(session, assembly_id, session_key)
        if row is None:
            return None
        absent = select(RsvpRow.participant_id).where(RsvpRow.session_id == row.id, RsvpRow.answer == ABSENT)
        query = query.where(ParticipantRow.id.not_in(absent))
    return await participants_of(session, query)


async def record(session: AsyncSession, assembly_id: str, session_key: str | None, recipients: int) -> int:
    """Record an announcement about to be queued; returns its id, which tags its outbox rows."""
    row = AnnouncementRow(assembly_id=assembly_id, session_key=session_key, recipients=recipients)
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        assembly_id,
        "announcement",
        actor=audit.operator(),
        announcement=row.id,
        session_key=session_key,
        recipients=recipients,
    )
    return row.id
