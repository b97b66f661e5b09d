"""What the health server asks the store: is it reachable, and how much waits in the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import OutboxMessage
from bot.store.outbox import PENDING


async def ping(session: AsyncSession) -> None:
    """One round trip; raises when the database cannot be reached."""
    await session.execute(select(literal(1)))


@dataclass(frozen=True)
class Backlog:
    """Outbox rows still to send, and when the oldest of them was queued."""

    pending: int
    oldest: datetime | None


async def outbox_backlog(session: AsyncSession, assembly_id: str) -> Backlog:
    """The assembly's own backlog: what its bot has to send (other bots on the store have theirs)."""
    query = select(func.count(), func.min(OutboxMessage.created_at)).where(
        OutboxMessage.assembly_id == assembly_id, OutboxMessage.status == PENDING
    )
    pending, oldest = (await session.execute(query)).one()
    return Backlog(int(pending), oldest)
