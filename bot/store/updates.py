"""The inbound update log: recorded before acknowledgement, processed once per update id.

Telegram numbers updates per bot, so every function takes the bot's id (`bot_id_of(token)`): bots
sharing a store each see their own log only."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.codec import event_from_json, event_to_json
from bot.store.models import InboundUpdate, utcnow
from flows.events import Event

log = logging.getLogger(__name__)

REDELIVERY_WINDOW = 100
"""A redelivery repeats at most one unconfirmed getUpdates batch (100 updates): known ids further
below the highest recorded one mean the Bot API restarted its numbering (a fresh emulator)."""


@dataclass(frozen=True)
class Received:
    """One update as fetched: its id, the chat it belongs to, and its neutral event (or None)."""

    update_id: int
    chat_id: int
    event: Event | None


@dataclass(frozen=True)
class Claimed:
    """An unprocessed update handed to one worker: what the flows run, and the chat to answer."""

    update_id: int
    chat_id: int
    event: Event
    row: InboundUpdate | None = field(default=None, compare=False, repr=False)
    """The claimed row, held so that it stays in the session's identity map (which holds rows
    weakly): `finish` then marks it without reading it again."""


async def record(session: AsyncSession, bot_id: int, batch: Sequence[Received]) -> list[Received]:
    """Store the updates not seen before and return them; redeliveries are dropped here."""
    if not batch:
        return []
    ids = [item.update_id for item in batch]
    seen = select(InboundUpdate.update_id).where(
        InboundUpdate.bot_id == bot_id, InboundUpdate.update_id.in_(ids)
    )
    known = set((await session.execute(seen)).scalars())
    fresh = [item for item in batch if item.update_id not in known]
    if known:
        await _warn_if_renumbered(session, bot_id, min(known))
    now = utcnow()
    if fresh:
        # One statement for the batch (the presses' answers wait for it); updates without a flow
        # event (kinds we do not handle) are born processed.
        rows = [
            {
                "bot_id": bot_id,
                "update_id": item.update_id,
                "chat_id": item.chat_id,
                "event": None if item.event is None else event_to_json(item.event),
                "received_at": now,
                "processed_at": None if item.event is not None else now,
            }
            for item in fresh
        ]
        await session.execute(insert(InboundUpdate), rows)
    return fresh


async def _warn_if_renumbered(session: AsyncSession, bot_id: int, lowest_known: int) -> None:
    highest_query = select(func.max(InboundUpdate.update_id)).where(InboundUpdate.bot_id == bot_id)
    highest = int(await session.scalar(highest_query) or 0)
    if highest - lowest_known > REDELIVERY_WINDOW:
        log.warning(
            "update %d arrived again, far below the highest update id recorded (%d): the Bot API seems "
            "to number updates from the start again (a new emulator on an old store?); such updates "
            "are dropped as seen. Start the emulator with --first-update-id above %d, or use a new store.",
            lowest_known,
            highest,
            highest,
        )


async def pending_chats(session: AsyncSession, bot_id: int) -> list[int]:
    query = (
        select(InboundUpdate.chat_id)
        .where(InboundUpdate.bot_id == bot_id, InboundUpdate.processed_at.is_(None))
        .distinct()
    )
    return list((await session.execute(query)).scalars())


async def next_batch(
    session: AsyncSession, bot_id: int, limit: int, lanes: int = 1, lane: int = 0
) -> list[tuple[int, int]]:
    """The oldest unprocessed updates of `lane` (chats split by id over `lanes`), as (update id,
    chat id) in update order: a chat's later update is never in a batch without its earlier ones."""
    query = select(InboundUpdate.update_id, InboundUpdate.chat_id).where(
        InboundUpdate.bot_id == bot_id, InboundUpdate.processed_at.is_(None)
    )
    if lanes > 1:
        query = query.where(func.abs(InboundUpdate.chat_id) % lanes == lane)
    rows = await session.execute(query.order_by(InboundUpdate.update_id).limit(limit))
    return [(update_id, chat_id) for update_id, chat_id in rows.tuples()]


async def claim(session: AsyncSession, bot_id: int, update_ids: Sequence[int]) -> list[Claimed]:
    """Those of `update_ids` still unprocessed, in update order; locked on PostgreSQL so two
    workers never share one (the caller holds their chats' turns, see `locks.take_turns`)."""
    query = (
        select(InboundUpdate)
        .where(
            InboundUpdate.bot_id == bot_id,
            InboundUpdate.update_id.in_(update_ids),
            InboundUpdate.processed_at.is_(None),
        )
        .order_by(InboundUpdate.update_id)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = (await session.execute(query)).scalars()
    return [
        Claimed(row.update_id, row.chat_id, event_from_json(row.event), row)
        for row in rows
        if row.event is not None
    ]


async def finish(
    session: AsyncSession, bot_id: int, update_id: int, error: str | None = None
) -> Claimed | None:
    """Mark the update processed, with the reason when it failed; returns it as it was (None when
    it carried no event, e.g. an erasure scrubbed it meanwhile).

    What was typed lives on only where a flow stored it: the log keeps the id, not the words
    (and a secret vote leaves nothing that ties the voter to the choice)."""
    row = await session.get_one(InboundUpdate, (bot_id, update_id))
    event = row.event
    row.processed_at, row.event = utcnow(), None
    if error is not None:
        row.error = error
    return None if event is None else Claimed(update_id, row.chat_id, event_from_json(event))
