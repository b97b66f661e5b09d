"""Sessions from the definition into the store, schedule-change notices, and the reminder fan-out job.

Nothing lost, nothing twice: a reminder is planned as one `reminder_deliveries` row per
(session, revision, offset, participant), inserted in the same transaction as its outbox row, so
a kill at any moment leaves either both or neither; the next run plans exactly the missing ones.
A session's revision goes up when its times change, which withdraws reminders still waiting in the
outbox and plans new ones with the new time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import outbox
from bot.store.database import Database
from bot.store.models import OutboxMessage, ParticipantRow, ReminderDelivery, SessionRow
from bot.store.sessions import new_code, reachable_confirmed, session_rows
from flows.actions import SendMessage
from flows.assembly import Assembly, Session
from flows.ports import Translations, Translator
from flows.sessions.notices import cancelled_notice, moved_notice, reminder

log = logging.getLogger(__name__)

QUEUED, SKIPPED, STALE = "queued", "skipped", "stale"
"""Delivery states: handed to the outbox (its row tells the outcome), too late to send, or withdrawn."""


def _minutes(offset: timedelta) -> int:
    return int(offset.total_seconds() // 60)


async def _unused_code(session: AsyncSession) -> str:
    while True:
        code = new_code()
        taken = select(SessionRow.id).where(SessionRow.checkin_code == code)
        if (await session.execute(taken)).first() is None:
            return code


async def _withdraw_reminders(session: AsyncSession, row: SessionRow, reason: str) -> None:
    """Stop reminders of this session still waiting in the outbox: their time or existence is wrong now."""
    query = select(ReminderDelivery.outbox_id).where(
        ReminderDelivery.session_id == row.id, ReminderDelivery.status == QUEUED
    )
    ids = [i for i in (await session.execute(query)).scalars() if i is not None]
    withdrawn = await outbox.cancel_pending(session, ids, reason)
    if withdrawn:
        await session.execute(
            update(ReminderDelivery).where(ReminderDelivery.outbox_id.in_(withdrawn)).values(status=STALE)
        )


async def _tell(
    session: AsyncSession,
    assembly: Assembly,
    translations: Translations,
    topic: str,
    make: Callable[[Translator, int], SendMessage],
) -> int:
    people = list((await session.execute(reachable_confirmed(assembly.id))).scalars())
    for person in people:
        message = make(translations.for_language(person.language), person.chat_id)
        outbox.enqueue(session, person.chat_id, [message], topic=topic)
    return len(people)


def _cancelled(
    assembly: Assembly, title: dict[str, str], starts: datetime, tr: Translator, chat: int
) -> SendMessage:
    return cancelled_notice(tr, assembly.text(title, tr.language), starts, chat)


def _moved(assembly: Assembly, definition: Session, tr: Translator, chat: int) -> SendMessage:
    return moved_notice(tr, assembly, definition, chat)


async def sync_sessions(
    session: AsyncSession, assembly: Assembly, translations: Translations, now: datetime
) -> int:
    """Mirror the definition's sessions into the store; tell confirmed participants of moves and
    cancellations of sessions still to come. Returns how many notices were queued."""
    rows = {row.key: row for row in await session_rows(session, assembly.id)}
    notices = 0
    for definition in assembly.sessions:
        starts, ends = assembly.start_of(definition), assembly.end_of(definition)
        row = rows.pop(definition.id, None)
        if row is None:
            session.add(
                SessionRow(
                    assembly_id=assembly.id,
                    key=definition.id,
                    title=dict(definition.title),
                    starts_at=starts,
                    ends_at=ends,
                    cancelled_at=now if definition.cancelled else None,
                    checkin_code=await _unused_code(session),
                )
            )
            await session.flush()
            continue
        row.title = dict(definition.title)
        if definition.cancelled:
            notices += await _cancel(session, assembly, translations, row, now)
            continue
        if row.starts_at != starts or row.ends_at != ends or row.cancelled_at is not None:
            row.starts_at, row.ends_at, row.cancelled_at = starts, ends, None
            row.revision += 1
            await _withdraw_reminders(session, row, "session moved")
            if ends > now:
                notices += await _tell(
                    session,
                    assembly,
                    translations,
                    f"session:{row.key}",
                    partial(_moved, assembly, definition),
                )
    for row in rows.values():  # removed from the definition: cancelled
        notices += await _cancel(session, assembly, translations, row, now)
    return notices


async def _cancel(
    session: AsyncSession, assembly: Assembly, translations: Translations, row: SessionRow, now: datetime
) -> int:
    """Cancel a session once: withdraw its waiting reminders and tell people if it was still to come."""
    if row.cancelled_at is not None:
        return 0
    row.cancelled_at = now
    await _withdraw_reminders(session, row, "session cancelled")
    if row.starts_at <= now:
        return 0
    notice = partial(_cancelled, assembly, row.title, row.starts_at)
    return await _tell(session, assembly, translations, f"session:{row.key}", notice)


class ReminderJob:
    """The scheduled job: plan and queue every reminder that is due, skip those too late, in batches."""

    def __init__(
        self,
        db: Database,
        assembly: Assembly,
        translations: Translations,
        wake: Callable[[], None],
        batch: int = 200,
    ) -> None:
        self.db, self.assembly, self.translations, self.wake = db, assembly, translations, wake
        self.batch = batch

    async def __call__(self, now: datetime) -> None:
        async with self.db.transaction() as session:
            rows = await session_rows(session, self.assembly.id)
        active = [row for row in rows if row.cancelled_at is None]
        grace = self.assembly.reminders.grace
        for row in active:
            for offset in self.assembly.reminders.offsets:
                due = row.starts_at - offset
                if due <= now:
                    late = now - due > grace or now >= row.starts_at
                    await self._fan_out(row, offset, due, late)
        await self._expire(now - grace)

    def _tr(self, person: ParticipantRow) -> Translator:
        return self.translations.for_language(person.language)

    async def _fan_out(self, row: SessionRow, offset: timedelta, due: datetime, late: bool) -> None:
        definition = self.assembly.session(row.key)
        if definition is None:
            return
        minutes = _minutes(offset)
        planned = exists().where(
            ReminderDelivery.participant_id == ParticipantRow.id,
            ReminderDelivery.session_id == row.id,
            ReminderDelivery.revision == row.revision,
            ReminderDelivery.offset_minutes == minutes,
        )
        while True:
            try:
                async with self.db.transaction() as session:
                    query = reachable_confirmed(self.assembly.id).where(~planned).limit(self.batch)
                    people = list((await session.execute(query)).scalars())
                    if not people:
                        return
                    deliveries = [
                        ReminderDelivery(
                            session_id=row.id,
                            revision=row.revision,
                            offset_minutes=minutes,
                            participant_id=person.id,
                            due_at=due,
                            status=SKIPPED if late else QUEUED,
                        )
                        for person in people
                    ]
                    if not late:
                        queued = [
                            outbox.enqueue(
                                session,
                                person.chat_id,
                                [reminder(self._tr(person), self.assembly, definition, person.chat_id)],
                                topic=f"reminder:{row.key}",
                            )[0]
                            for person in people
                        ]
                        await session.flush()
                        for delivery, message in zip(deliveries, queued, strict=True):
                            delivery.outbox_id = message.id
                    session.add_all(deliveries)
            except IntegrityError:
                log.warning("another worker planned the same reminders; trying the next batch")
                continue
            if not late:
                self.wake()

    async def _expire(self, horizon: datetime) -> None:
        """Reminders still waiting in the outbox past their grace period are withdrawn and skipped."""
        async with self.db.transaction() as session:
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
            withdrawn = await outbox.cancel_pending(session, ids, "reminder past its grace period")
            if withdrawn:
                await session.execute(
                    update(ReminderDelivery)
                    .where(ReminderDelivery.outbox_id.in_(withdrawn))
                    .values(status=SKIPPED)
                )
                log.info("%d reminders were past their grace period and were skipped", len(withdrawn))
