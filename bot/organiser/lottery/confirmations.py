"""Seats whose confirmation deadline has passed: close them and offer each to the best-matching reserve.

Run by `assembly-bot confirmations expire` and, once wired, by the scheduler. Idempotent: a seat is
closed once, so running it twice (or on two workers in turn) offers each free seat only once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapters.i18n import Catalogs
from bot.store.models import ParticipantRow, SeatRow, SelectionRow
from bot.store.participants import SqlStore
from flows.assembly import Assembly
from flows.confirmation import EXPIRED, expired_notice, release_seat
from flows.ports import Translations
from flows.status import ParticipantStatus


async def expire_overdue(
    session: AsyncSession, assembly: Assembly, now: datetime, translations: Translations | None = None
) -> int:
    """Close every seat still awaiting confirmation after its deadline; returns how many were closed."""
    translations = translations or Catalogs(assembly.languages, assembly.zone)
    query = (
        select(SeatRow.participant_id, SeatRow.selection_id)
        .join(SelectionRow, SelectionRow.id == SeatRow.selection_id)
        .join(ParticipantRow, ParticipantRow.id == SeatRow.participant_id)
        .where(
            SelectionRow.assembly_id == assembly.id,
            SeatRow.outcome.is_(None),
            SeatRow.deadline.is_not(None),
            SeatRow.deadline < now,
            ParticipantRow.status == ParticipantStatus.SELECTED.value,
        )
        .order_by(SeatRow.deadline, SeatRow.participant_id)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(of=SeatRow, skip_locked=True)
    overdue = (await session.execute(query)).all()
    store = SqlStore(session, assembly.id).registrations
    for participant_id, selection_id in overdue:
        await store.close_seat(participant_id, selection_id, EXPIRED, now)
        await store.set_status(participant_id, ParticipantStatus.DECLINED, now)
        person = await store.reach(participant_id)
        tr = translations.for_language(person.language)
        await store.notify(person.chat_id, [expired_notice(tr, person.chat_id)])
        await release_seat(
            store, assembly, translations, participant_id=participant_id, selection_id=selection_id, now=now
        )
    return len(overdue)
