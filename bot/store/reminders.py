"""Reminder deliveries: planned once per (session, revision, offset, participant), whatever restarts happen.

A delivery row is inserted in the same transaction as its outbox row, so a kill at any moment
leaves either both or neither; the unique key turns a second planning of the same reminder into
`PlannedElsewhere`. The outcome of sending is the linked outbox row's status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import outbox
from bot.store.models import OutboxMessage, ParticipantRow, ReminderDelivery, RsvpRow
from bot.store.sessions import participants_of, reachable_confirmed
from flows.actions import SendMessage
from flows.ports import Participant

QUEUED, SKIPPED, STALE, NOT_COMING, FAILED = "queued", "skipped", "stale", "not_coming", "failed"
"""Delivery states: handed to the outbox (its row tells the outcome), too late to send, withdrawn,
not sent because the person had said they cannot come, or not built for this participant (logged;
the others of the batch got theirs)."""


class PlannedElsewhere(Exception):
    """Another worker planned some of the same deliveries first; the transaction must be dropped."""


@dataclass(frozen=True)
class Slot:
    """One reminder of one session revision: what a set of deliveries is planned for."""

    session_id: int
    revision: int
    offset_minutes: int


async def unreminded(session: AsyncSession, assembly_id: str, slot: Slot, limit: int) -> list[Participant]:
    """Up to `limit` reachable confirmed participants with no delivery planned for `slot` yet."""
    planned = exists().where(
        ReminderDelivery.participant_id == ParticipantRow.id,
        ReminderDelivery.session_id == slot.session_id,
        ReminderDelivery.revision == slot.revision,
        ReminderDelivery.offset_minutes == slot.offset_minutes,
    )
    return await participants_of(session, reachable_confirmed(assembly_id).where(~planned).limit(limit))


async def answers(session: AsyncSession, session_id: int, participant_ids: Sequence[int]) -> dict[int, str]:
    """The RSVP answer each of these participants has given for the session, if any."""
    query = select(RsvpRow.participant_id, RsvpRow.answer).where(
        RsvpRow.session_id == session_id, RsvpRow.participant_id.in_(participant_ids)
    )
    return {participant_id: answer for participant_id, answer in (await session.execute(query)).tuples()}


def _delivery(slot: Slot, participant_id: int, due: datetime, status: str) -> ReminderDelivery:
    return ReminderDelivery(
        session_id=slot.session_id,
        revision=slot.revision,
        offset_minutes=slot.offset_minutes,
        participant_id=participant_id,
        due_at=due,
        status=status,
    )


async def _insert(session: AsyncSession, deliveries: list[ReminderDelivery]) -> None:
    session.add_all(deliveries)
    try:
        await session.flush()
    except IntegrityError as error:
        raise PlannedElsewhere from error


async def queue(
    session: AsyncSession,
    assembly_id: str,
    slot: Slot,
    due: datetime,
    reminders: Sequence[tuple[int, SendMessage]],
    *,
    topic: str,
) -> None:
    """Plan `slot` for each (participant id, reminder) as queued, the reminder into the outbox."""
    rows = [
        outbox.enqueue(session, assembly_id, message.chat_id, [message], topic=topic)[0]
        for _, message in reminders
    ]
    await session.flush()
    deliveries = [_delivery(slot, participant_id, due, QUEUED) for participant_id, _ in reminders]
    for delivery, row in zip(deliveries, rows, strict=True):
        delivery.outbox_id = row.id
    await _insert(session, deliveries)


async def skip(
    session: AsyncSession, slot: Slot, due: datetime, participant_ids: Sequence[int], status: str = SKIPPED
) -> None:
    """Plan `slot` for these participants as not sent (too late, or they are not coming): nothing goes out."""
    await _insert(session, [_delivery(slot, p, due, status) for p in participant_ids])


async def fail(session: AsyncSession, slot: Slot, due: datetime, participant_ids: Sequence[int]) -> None:
    """Plan `slot` for these participants as failed: their reminder could not be built, so no later
    run tries again (the job logged why)."""
    await _insert(session, [_delivery(slot, p, due, FAILED) for p in participant_ids])


async def _withdraw(session: AsyncSession, ids: list[int], reason: str, status: str) -> int:
    """Cancel these outbox rows if still pending and mark their deliveries; returns how many."""
    withdrawn = await outbox.cancel_pending(session, ids, reason)
    if withdrawn:
        await session.execute(
            update(ReminderDelivery).where(ReminderDelivery.outbox_id.in_(withdrawn)).values(status=status)
        )
    return len(withdrawn)


async def withdraw(session: AsyncSession, session_id: int, reason: str) -> None:
    """Stop reminders of a session still waiting in the outbox: their time or existence is wrong now."""
    query = select(ReminderDelivery.outbox_id).where(
        ReminderDelivery.session_id == session_id, ReminderDelivery.status == QUEUED
    )
    ids = [i for i in (await session.execute(query)).scalars() if i is not None]
    await _withdraw(session, ids, reason, STALE)


async def expire(session: AsyncSession, horizon: datetime, reason: str) -> int:
    """Withdraw and skip reminders due before `horizon` still waiting in the outbox; returns how many."""
    query = (
        select(ReminderDelivery.outbox_id)
        .join(OutboxMessage, OutboxMessage.id == ReminderDelivery.outbox_id)
        .where(
            ReminderDelivery.status == QUEUED,
            ReminderDelivery.due_at < horizon,
            OutboxMessage.status == outbox.PENDING,
        )
    )
    ids = [i for i in (await session.execute(query)).scalars() if i is not None]
    return await _withdraw(session, ids, reason, SKIPPED)
