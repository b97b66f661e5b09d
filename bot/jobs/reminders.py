"""The reminder fan-out job: every reminder that is due goes once to each confirmed participant.

Nothing lost, nothing twice: the store plans a reminder as one delivery per (session, revision,
offset, participant), with its outbox row in the same transaction, so a kill at any moment leaves
either both or neither and the next run plans exactly the missing ones. `flows.due` says which
reminders are due and which are too late, and so only recorded as skipped; people who said they
cannot come are skipped too, and those coming get a "see you" instead of the question.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.jobs.recipients import build_each, chat_of
from bot.store import reminders, sessions
from bot.store.database import Database
from bot.store.sessions import SessionRecord
from flows.actions import SendMessage
from flows.assembly import Assembly
from flows.due import DueReminder, due_reminders, grace_horizon
from flows.ports import Participant, Translations
from flows.sessions.notices import ABSENT, reminder

log = logging.getLogger(__name__)


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
            records = await sessions.session_rows(session, self.assembly.id)
        policy = self.assembly.reminders
        for record in records:
            if record.cancelled_at is None:
                for due in due_reminders(policy, record.starts_at, now):
                    await self._fan_out(record, due)
        async with self.db.transaction() as session:
            skipped = await reminders.expire(
                session, grace_horizon(policy, now), "reminder past its grace period"
            )
        if skipped:
            log.info("%d reminders were past their grace period and were skipped", skipped)

    async def _fan_out(self, record: SessionRecord, due: DueReminder) -> None:
        definition = self.assembly.session(record.key)
        if definition is None:
            return
        slot = reminders.Slot(record.id, record.revision, int(due.offset.total_seconds() // 60))
        while True:
            try:
                async with self.db.transaction() as session:
                    people = await reminders.unreminded(session, self.assembly.id, slot, self.batch)
                    if not people:
                        return
                    if due.late:
                        await reminders.skip(session, slot, due.due, [person.id for person in people])
                    else:
                        answers = await reminders.answers(session, record.id, [p.id for p in people])
                        absent = [p.id for p in people if answers.get(p.id) == ABSENT]
                        await reminders.skip(session, slot, due.due, absent, reminders.NOT_COMING)
                        coming = [p for p in people if p.id not in absent]
                        topic = f"reminder:{record.key}"

                        def build(person: Participant, said: dict[int, str] = answers) -> SendMessage:
                            tr = self.translations.for_language(person.language)
                            answer = said.get(person.id)
                            return reminder(tr, self.assembly, definition, person.chat_id, answer)

                        built = build_each(
                            session, coming, build, assembly_id=self.assembly.id, chat=chat_of, topic=topic
                        )
                        messages = [(person.id, message) for person, message in built]
                        await reminders.queue(session, self.assembly.id, slot, due.due, messages, topic=topic)
                        done = {person.id for person, _ in built}
                        await reminders.fail(
                            session, slot, due.due, [p.id for p in coming if p.id not in done]
                        )
            except reminders.PlannedElsewhere:
                log.warning("another worker planned the same reminders; trying the next batch")
                continue
            if not due.late:
                self.wake()
