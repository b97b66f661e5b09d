"""The confirmation-deadline job: seats not confirmed in time go to reserves, on the bot's scheduler."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.organiser.lottery.confirmations import expire_overdue
from bot.store.database import Database
from flows.assembly import Assembly
from flows.ports import Translations


class ConfirmationJob:
    """Close every overdue seat and offer it to a reserve; wake the sender when a notice was queued."""

    def __init__(
        self, db: Database, assembly: Assembly, translations: Translations, wake: Callable[[], None]
    ) -> None:
        self.db, self.assembly, self.translations, self.wake = db, assembly, translations, wake

    async def __call__(self, now: datetime) -> None:
        async with self.db.transaction() as session:
            closed = await expire_overdue(session, self.assembly, now, self.translations)
        if closed:
            self.wake()
