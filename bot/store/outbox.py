"""The outbox: every Bot API call is written here first and sent by the rate-limited sender.

Each row belongs to an assembly, and only the sender of that assembly's bot reads it: a private
chat's id is the person's user id, the same in every bot, so the chat alone cannot say which bot
speaks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.codec import action_from_json, action_to_json
from bot.store.models import OutboxMessage, ParticipantRow, utcnow
from flows.actions import Action

PENDING, SENT, FAILED, BLOCKED = "pending", "sent", "failed", "blocked"
ANSWER = "AnswerButton"
"""The kind of a button acknowledgement: not a message, so it leaves outside the chat's order and budget."""
CANCELLED = "cancelled"
"""Withdrawn before sending, e.g. a reminder for a session that moved; `last_error` says why."""


@dataclass(frozen=True)
class Queued:
    """A message handed to the sender: its outbox id (to record the outcome) and the call to make."""

    id: int
    chat_id: int
    action: Action
    update_id: int | None = None


def enqueue(
    session: AsyncSession,
    assembly_id: str,
    chat_id: int,
    actions: Iterable[Action],
    *,
    update_id: int | None = None,
    not_before: datetime | None = None,
    topic: str | None = None,
    purge_after_send: bool = False,
) -> list[OutboxMessage]:
    """Queue actions for one chat, in order; they leave only after the caller commits."""
    rows = []
    for action in actions:
        kind, payload, blob = action_to_json(action)
        row = OutboxMessage(
            assembly_id=assembly_id,
            chat_id=chat_id,
            kind=kind,
            payload=payload,
            blob=blob,
            update_id=update_id,
            not_before=not_before or utcnow(),
            topic=topic or getattr(action, "tag", None),
            purge_after_send=purge_after_send or getattr(action, "ephemeral", False),
        )
        session.add(row)
        rows.append(row)
    return rows


def record_unbuilt(session: AsyncSession, assembly_id: str, chat_id: int, topic: str, reason: str) -> None:
    """A message a batch job could not build for one recipient: a row already failed, so nothing is
    sent, the job does not try again at every run, and the report views count it as a failed send."""
    session.add(
        OutboxMessage(
            assembly_id=assembly_id,
            chat_id=chat_id,
            kind="unbuilt",
            payload={},
            status=FAILED,
            last_error=reason[:300],
            topic=topic,
        )
    )


def enqueue_each(
    session: AsyncSession,
    assembly_id: str,
    chat_id: int,
    actions: Iterable[Action],
    *,
    update_id: int | None = None,
    purge_after_send: bool = False,
) -> None:
    """Queue a step's actions, each under the chat it goes to (a poll's ballots go to many chats),
    so every chat keeps its own order and rate limit; a button answer goes to `chat_id`."""
    for action in actions:
        target = getattr(action, "chat_id", chat_id)
        enqueue(
            session, assembly_id, target, [action], update_id=update_id, purge_after_send=purge_after_send
        )


async def cancel_pending(session: AsyncSession, ids: Iterable[int], reason: str) -> list[int]:
    """Withdraw the still-pending rows among `ids`; returns those withdrawn (a sent row stays sent)."""
    wanted = list(ids)
    if not wanted:
        return []
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(wanted), OutboxMessage.status == PENDING)
        .values(status=CANCELLED, last_error=reason)
        .returning(OutboxMessage.id)
    )
    return list(result.scalars())


async def topic_progress(session: AsyncSession, assembly_id: str, topic: str) -> dict[str, int]:
    """How many rows of a topic are in each status."""
    query = (
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.assembly_id == assembly_id, OutboxMessage.topic == topic)
        .group_by(OutboxMessage.status)
    )
    return {status: count for status, count in (await session.execute(query)).tuples()}


async def sent_message_id(session: AsyncSession, assembly_id: str, topic: str) -> int | None:
    """The Telegram id of the sent message tagged `topic` (see `SendMessage.tag`), once it is sent."""
    query = (
        select(OutboxMessage.telegram_message_id)
        .where(
            OutboxMessage.assembly_id == assembly_id,
            OutboxMessage.topic == topic,
            OutboxMessage.status == SENT,
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def due_chats(session: AsyncSession, assembly_id: str, limit: int = 1000) -> list[int]:
    """Chats with a message due, the longest-waiting first. Outbox times are wall-clock times,
    whatever clock the flows run on: they pace real Bot API calls."""
    query = (
        select(OutboxMessage.chat_id)
        .where(
            OutboxMessage.assembly_id == assembly_id,
            OutboxMessage.status == PENDING,
            OutboxMessage.kind != ANSWER,
            OutboxMessage.not_before <= utcnow(),
        )
        .group_by(OutboxMessage.chat_id)
        .order_by(func.min(OutboxMessage.id))
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def next_due(session: AsyncSession, assembly_id: str, chat_id: int) -> tuple[Queued | None, bool]:
    """The chat's oldest pending message if it is due, and whether another is pending behind it
    (so a sender that sends the last one need not look again). A chat's messages leave strictly in
    order, so a postponed one holds back those behind it. Button answers are not in this order."""
    return (await heads(session, assembly_id, [chat_id])).get(chat_id, (None, False))


async def heads(
    session: AsyncSession, assembly_id: str, chats: Iterable[int]
) -> dict[int, tuple[Queued | None, bool]]:
    """`next_due` for several chats in one query (those with nothing pending are left out): the
    first two pending messages of each, whatever a chat has queued behind them."""
    place = (
        func.row_number().over(partition_by=OutboxMessage.chat_id, order_by=OutboxMessage.id).label("place")
    )
    first = (
        select(OutboxMessage.id, place)
        .where(
            OutboxMessage.assembly_id == assembly_id,
            OutboxMessage.status == PENDING,
            OutboxMessage.chat_id.in_(list(chats)),
            OutboxMessage.kind != ANSWER,
        )
        .subquery()
    )
    query = (
        select(OutboxMessage)
        .join(first, first.c.id == OutboxMessage.id)
        .where(first.c.place <= 2)  # the head, and whether one waits behind it
        .order_by(OutboxMessage.chat_id, OutboxMessage.id)
    )
    found: dict[int, tuple[Queued | None, bool]] = {}
    now = utcnow()
    for row in (await session.execute(query)).scalars():
        if row.chat_id in found:
            found[row.chat_id] = (found[row.chat_id][0], True)
        else:
            found[row.chat_id] = (_queued(row) if row.not_before <= now else None, False)
    return found


async def due_answers(
    session: AsyncSession, assembly_id: str, skip: Iterable[int] = (), limit: int = 500
) -> list[Queued]:
    """Button answers due now, oldest first, whatever their chats have queued (`skip`: in flight)."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.assembly_id == assembly_id,
            OutboxMessage.status == PENDING,
            OutboxMessage.kind == ANSWER,
            OutboxMessage.not_before <= utcnow(),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    busy = set(skip)
    if busy:
        query = query.where(OutboxMessage.id.not_in(busy))
    return [_queued(row) for row in (await session.execute(query)).scalars()]


async def step_replies(session: AsyncSession, assembly_id: str, update_id: int, chat_id: int) -> int:
    """How many outbox rows the handling of `update_id` queued for `chat_id`."""
    query = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.assembly_id == assembly_id,
            OutboxMessage.update_id == update_id,
            OutboxMessage.chat_id == chat_id,
        )
    )
    return int((await session.execute(query)).scalar_one())


def _queued(row: OutboxMessage) -> Queued:
    return Queued(row.id, row.chat_id, decode(row), row.update_id)


async def earliest_due(session: AsyncSession, assembly_id: str) -> datetime | None:
    query = (
        select(OutboxMessage.not_before)
        .where(OutboxMessage.assembly_id == assembly_id, OutboxMessage.status == PENDING)
        .order_by(OutboxMessage.not_before)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


def decode(row: OutboxMessage) -> Action:
    """The call an outbox row stands for."""
    return action_from_json(row.kind, row.payload, row.blob)


async def mark_blocked(session: AsyncSession, assembly_id: str, chat_id: int, error: str) -> None:
    """The person blocked this assembly's bot: stop every pending message to them and remember it
    (their chats with other bots are not concerned)."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.assembly_id == assembly_id,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.status == PENDING,
        )
        .values(status=BLOCKED, last_error=error[:300])
    )
    await session.execute(
        update(ParticipantRow)
        .where(ParticipantRow.assembly_id == assembly_id, ParticipantRow.chat_id == chat_id)
        .values(blocked_at=utcnow())
    )


async def mark_sent(session: AsyncSession, row_id: int, message_id: int | None, poll_id: str | None) -> None:
    """Record a delivery; the goodbye to a person who used /forget leaves no row behind.

    What was sent is dropped (texts, files): it was needed only to send it. The row keeps what
    exactly-once and the live message need: its status, topic and Telegram message id."""
    row = await session.get(OutboxMessage, row_id)
    if row is not None:  # else erased meanwhile by /forget
        await _sent(session, row, message_id, poll_id)


async def mark_all_sent(session: AsyncSession, deliveries: dict[int, int | None]) -> None:
    """Record several deliveries (row id -> Telegram message id) with one read."""
    if not deliveries:
        return
    query = select(OutboxMessage).where(OutboxMessage.id.in_(list(deliveries)))
    for row in (await session.execute(query)).scalars():
        await _sent(session, row, deliveries[row.id], None)


async def _sent(
    session: AsyncSession, row: OutboxMessage, message_id: int | None, poll_id: str | None
) -> None:
    if row.purge_after_send:
        await session.delete(row)
        return
    row.status, row.sent_at, row.attempts = SENT, utcnow(), row.attempts + 1
    row.payload, row.blob = {}, None
    row.telegram_message_id = message_id
    if poll_id:
        row.result = {"poll_id": poll_id}


async def postpone(session: AsyncSession, row_id: int, seconds: float, reason: str) -> None:
    """Flood control: the same row goes again after `seconds`, without counting an attempt."""
    row = await session.get(OutboxMessage, row_id)
    if row is None:  # erased meanwhile by /forget
        return
    row.not_before, row.last_error = utcnow() + timedelta(seconds=seconds), reason[:300]


async def retry_or_fail(session: AsyncSession, row_id: int, reason: str, max_attempts: int) -> None:
    """A transient failure: back off exponentially (0.5 s doubling, at most a minute), then give up."""
    row = await session.get(OutboxMessage, row_id)
    if row is None:  # erased meanwhile by /forget
        return
    row.attempts += 1
    row.last_error = reason[:300]
    if row.attempts >= max_attempts:
        row.status = FAILED
    else:
        row.not_before = utcnow() + timedelta(seconds=min(60.0, 0.5 * 2 ** (row.attempts - 1)))


async def mark_failed(session: AsyncSession, row_id: int, reason: str) -> None:
    row = await session.get(OutboxMessage, row_id)
    if row is None:  # erased meanwhile by /forget
        return
    row.status, row.last_error, row.attempts = FAILED, reason[:300], row.attempts + 1
