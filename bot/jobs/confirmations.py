"""The confirmation-deadline job: seats not confirmed in time go to reserves, on the bot's scheduler."""

from __future__ import annotations

from datetime import datetime

from bot.organiser.lottery.confirmations import expire_overdue
from bot.store.database import Database
from flows.assembly import Assembly
from flows.ports import Translations


async def expire_deadlines(
    db: Database, assembly: Assembly, translations: Translations, now: datetime
) -> int:
    """Close every overdue seat and offer it to a reserve, in one transaction; returns how many closed."""
    async with db.transaction() as session:
        return await expire_overdue(session, assembly, now, translations)
