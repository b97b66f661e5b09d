"""The retention job: once the definition's retention period has passed, personal data is erased.

The period runs from the end of the last session held (`retention.after_last_session_days`). Every
person is erased with the store's own erasure, as `/forget` does, except that their status stays:
statuses, RSVPs, attendance, votes and ratings remain as anonymous counts. The job runs hourly, so
someone who writes to the bot after the date is erased within the hour too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.store.database import Database
from bot.store.registrations import SqlRegistrations
from bot.store.retention import not_yet_erased
from flows.assembly import Assembly

log = logging.getLogger(__name__)

BATCH = 200
"""People erased per transaction, so a large assembly never holds one long write lock."""


@dataclass(frozen=True)
class Retention:
    """What the job found: when erasure is due (None: no retention period set), whether that moment
    has come, and how many people still hold personal data (erased now, unless a dry run)."""

    due: datetime | None
    reached: bool
    people: int


async def erase_past_retention(
    db: Database, assembly: Assembly, now: datetime, *, dry_run: bool = False
) -> Retention:
    due = assembly.erasure_due()
    reached = due is not None and now >= due
    async with db.transaction() as session:
        people = await not_yet_erased(session, assembly.id)
    if not reached or dry_run or not people:
        return Retention(due, reached, len(people))
    for start in range(0, len(people), BATCH):
        async with db.transaction() as session:
            store = SqlRegistrations(session, assembly.id)
            for participant_id, status in people[start : start + BATCH]:
                await store.erase(participant_id, status)
    log.info("retention period over: personal data of %d people erased", len(people))
    return Retention(due, reached, len(people))


async def retention_job(db: Database, assembly: Assembly, now: datetime) -> None:
    """The scheduled form: erase when due, and say nothing otherwise."""
    await erase_past_retention(db, assembly, now)
