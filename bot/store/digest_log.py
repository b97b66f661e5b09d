"""The digest in the store: the organisers who receive it, and the log of digests sent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import DigestRow, ParticipantRow, RoleRow
from bot.store.sessions import as_participant
from flows.ports import ORGANISER, Participant


async def organisers(session: AsyncSession, assembly_id: str) -> set[int]:
    """The Telegram user ids of the assembly's organisers who joined through an invite."""
    query = (
        select(ParticipantRow.telegram_user_id)
        .join(RoleRow, RoleRow.participant_id == ParticipantRow.id)
        .where(RoleRow.role == ORGANISER, RoleRow.assembly_id == assembly_id)
    )
    return set((await session.execute(query)).scalars())


async def known_users(session: AsyncSession, assembly_id: str, user_ids: Iterable[int]) -> list[Participant]:
    """Those of these Telegram users who have talked to the assembly's bot, with their chat and language."""
    query = select(ParticipantRow).where(
        ParticipantRow.assembly_id == assembly_id, ParticipantRow.telegram_user_id.in_(list(user_ids))
    )
    return [as_participant(row) for row in (await session.execute(query)).scalars()]


def record(session: AsyncSession, assembly_id: str, now: datetime, recipients: int) -> None:
    """Log a digest sent at `now`; the next one reports what changed since."""
    session.add(DigestRow(assembly_id=assembly_id, created_at=now, recipients=recipients))
