"""Who still holds personal data in an assembly, for the retention job; the erasure itself is the
store's one erasure function (`SqlRegistrations.erase`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import ParticipantRow
from flows.status import ParticipantStatus


async def not_yet_erased(session: AsyncSession, assembly_id: str) -> list[tuple[int, ParticipantStatus]]:
    """Participants whose row still carries a Telegram id (erasure replaces it by minus the row's id),
    with their status, which erasure keeps for the anonymous counts."""
    query = (
        select(ParticipantRow.id, ParticipantRow.status)
        .where(ParticipantRow.assembly_id == assembly_id, ParticipantRow.telegram_user_id > 0)
        .order_by(ParticipantRow.id)
    )
    return [(pid, ParticipantStatus(status)) for pid, status in (await session.execute(query)).tuples()]
