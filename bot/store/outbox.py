"""The outbox: every Bot API call is written here first and sent by the rate-limited sender."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.codec import action_from_json, action_to_json
from bot.store.models import OutboxMessage, ParticipantRow, utcnow
from flows.actions import Action

PENDING, SENT, FAILED, BLOCKED = "pending", "sent", "failed", "blocked"


def enqueue(
    session: AsyncSession,
    chat_id: int,
    actions: Iterable[Action],
    *,
    update_id: int | None = None,
    not_before: datetime | None = None,
    purge_after_send: bool = False,
) -> None:
    """Queue actions for one chat, in order; they leave only after the caller commits."""
    for action in actions:
        kind, payload, blob = action_to_json(action)
        session.add(
            OutboxMessage(
                chat_id=chat_id,
                kind=kind,
                payload=payload,
                blob=blob,
                update_id=update_id,
                not_before=not_before or utcnow(),
                purge_after_send=purge_after_send,
            )
        )


async def due_chats(session: AsyncSession, now: datetime, limit: int = 1000) -> list[int]:
    """Chats with a message due, the longest-waiting first."""
    query = (
        select(OutboxMessage.chat_id)
        .where(OutboxMessage.status == PENDING, OutboxMessage.not_before <= now)
        .group_by(OutboxMessage.chat_id)
        .order_by(func.min(OutboxMessage.id))
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def next_for_chat(session: AsyncSession, chat_id: int) -> OutboxMessage | None:
    """The oldest pending row of a chat: a chat's messages leave strictly in order."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.chat_id == chat_id)
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def earliest_due(session: AsyncSession) -> datetime | None:
    query = (
        select(OutboxMessage.not_before)
        .where(OutboxMessage.status == PENDING)
        .order_by(OutboxMessage.not_before)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


def decode(row: OutboxMessage) -> Action:
    return action_from_json(row.kind, row.payload, row.blob)


async def mark_blocked(session: AsyncSession, chat_id: int, error: str) -> None:
    """The person blocked the bot: stop every pending message to them and remember it."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == PENDING)
        .values(status=BLOCKED, last_error=error)
    )
    await session.execute(
        update(ParticipantRow).where(ParticipantRow.chat_id == chat_id).values(blocked_at=utcnow())
    )
