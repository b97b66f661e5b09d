"""Seats whose confirmation deadline has passed: close them and offer each to the best-matching reserve.

Run by `assembly-bot confirmations expire` and by the bot's scheduler. Idempotent: a seat is
closed once, so running it twice (or on two workers in turn) offers each free seat only once.
"""

from __future__ import annotations

from datetime import datetime

from bot.store import audit
from bot.store.database import Session
from bot.store.lottery import OverdueSeat, overdue_seats
from bot.store.participants import SqlStore
from flows.assembly import Assembly
from flows.confirmation import EXPIRED, expired_notice, release_seat
from flows.ports import Translations
from flows.status import ParticipantStatus


async def expire_overdue(
    session: Session, assembly: Assembly, now: datetime, translations: Translations, *, actor: str = audit.BOT
) -> int:
    """Close every seat still awaiting confirmation after its deadline; returns how many were closed.
    `actor`: who made it happen, for the audit log (the bot's timed job, or an organiser's command)."""
    overdue = await overdue_seats(session, assembly.id, now)
    if overdue:
        await audit.record(
            session, assembly.id, "confirmations_expired", actor=actor, now=now, seats=len(overdue)
        )
    for seat in overdue:
        await expire_seat(session, assembly, seat, now, translations)
    return len(overdue)


async def expire_seat(
    session: Session, assembly: Assembly, seat: OverdueSeat, now: datetime, translations: Translations
) -> None:
    """Close one overdue seat, tell its holder, and offer it to the best-matching reserve."""
    store = SqlStore(session, assembly.id).registrations
    await store.close_seat(seat.participant_id, seat.selection_id, EXPIRED, now)
    await store.set_status(seat.participant_id, ParticipantStatus.DECLINED, now)
    person = await store.reach(seat.participant_id)
    tr = translations.for_language(person.language)
    await store.notify(person.chat_id, [expired_notice(tr, person.chat_id)])
    await release_seat(
        store,
        assembly,
        translations,
        participant_id=seat.participant_id,
        selection_id=seat.selection_id,
        now=now,
    )
