"""The confirmation-deadline job: seats not confirmed in time go to reserves, on the bot's scheduler."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.organiser.lottery.confirmations import expire_seat
from bot.store.database import Database
from bot.store.lottery import overdue_seats
from flows.assembly import Assembly
from flows.ports import Translations

log = logging.getLogger(__name__)


async def expire_deadlines(
    db: Database, assembly: Assembly, translations: Translations, now: datetime
) -> int:
    """Close every overdue seat and offer it to a reserve, each in its own transaction, so one seat
    that fails (logged; the next run tries it again) never holds the others back; returns how many closed."""
    async with db.transaction() as session:
        overdue = await overdue_seats(session, assembly.id, now)
    closed = 0
    for seat in overdue:
        try:
            async with db.transaction() as session:
                await expire_seat(session, assembly, seat, now, translations)
        except Exception:
            log.exception(
                "the overdue seat of participant %s could not be closed; the others were", seat.participant_id
            )
            continue
        closed += 1
    return closed
