"""Timed work for polls and feedback, on the bot's one scheduler, driven by what is in the store.

- Live counts: the facilitator's "9 of 12 answered" message is edited when the count changed since
  it was last shown, at most once per run of this job (every few seconds), however fast answers
  arrive: Telegram allows about one edit a second per chat, and a burst of answers becomes one edit.
- Timers: a poll whose `closes_at` has passed is closed and its results are sent.
- Feedback: when a session has ended, each checked-in participant gets the evaluation once
  (a `feedback_requests` row is written with its outbox row, so a restart never sends it twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial

from bot.jobs.recipients import build_each, chat_of
from bot.store import feedback, outbox, polls, sessions
from bot.store.database import Database, Session
from bot.store.participants import SqlStore
from flows.actions import EditMessage, SendMessage
from flows.assembly import Session as Definition
from flows.due import count_changed, in_feedback_window, timer_ran_out
from flows.engine import Kit
from flows.feedback import invitation
from flows.polls.disclosure import shows_running_result
from flows.polls.live import controls, live_tag, live_text
from flows.polls.results import close_poll, tally_of
from flows.polls.tally import Tally
from flows.ports import Participant, Poll

log = logging.getLogger(__name__)


def _count_edit(
    kit: Kit, poll: Poll, message_id: int, count: tuple[int, int, Tally | None], person: Participant
) -> EditMessage:
    """The live message edited to show `count` (answered, asked, the running result if shown)."""
    tr = kit.translations.for_language(person.language)
    text = live_text(tr, poll, *count, minimum=kit.assembly.tables.min_result)
    return EditMessage(person.chat_id, message_id, text, controls(tr, poll))


def _invitation(kit: Kit, definition: Definition, person: Participant) -> SendMessage | None:
    tr = kit.translations.for_language(person.language)
    return invitation(tr, kit.assembly, definition, person.chat_id)


FEEDBACK_BATCH = 500
"""Invitations queued per run at most; the next run (seconds later) asks the rest."""


class PollJob:
    """The scheduled job: close polls whose timer ran out, refresh live counts, ask for feedback."""

    def __init__(self, db: Database, kit: Kit, wake: Callable[[], None]) -> None:
        self.db, self.kit, self.wake = db, kit, wake

    async def __call__(self, now: datetime) -> None:
        await self.close_due(now)
        await self.refresh_counts()
        await self.ask_feedback(now)
        self.wake()

    def _store(self, session: Session) -> SqlStore:
        return SqlStore(session, self.kit.assembly.id)

    async def close_due(self, now: datetime) -> None:
        async with self.db.transaction() as session:
            due = [
                live.poll
                for live in await polls.open_polls(session, self.kit.assembly.id)
                if timer_ran_out(live.poll.closes_at, now)
            ]
        for poll in due:
            try:
                async with self.db.transaction() as session:
                    store = self._store(session)
                    facilitator = await store.participants([poll.facilitator_id])
                    chat = facilitator[0].chat_id if facilitator else 0
                    actions = await close_poll(self.kit.context(store), poll)
                    outbox.enqueue_each(session, self.kit.assembly.id, chat, actions)
            except Exception:  # one poll that cannot close never keeps the others open
                log.exception("poll %s could not be closed by its timer; the next run tries again", poll.id)

    async def refresh_counts(self) -> None:
        async with self.db.transaction() as session:
            store = self._store(session)
            for live in await polls.open_polls(session, self.kit.assembly.id):
                poll = live.poll
                answered, total = await polls.progress(session, poll.id)
                if not count_changed(answered, live.shown):
                    continue
                message_id = await outbox.sent_message_id(session, self.kit.assembly.id, live_tag(poll))
                people = await store.participants([poll.facilitator_id])
                if message_id is None or not people:
                    continue  # the live message is not sent yet: the next run edits it
                facilitator = people[0]
                tally = (
                    tally_of(poll, await store.polls.ballots(poll.id)) if shows_running_result(poll) else None
                )
                edit = partial(_count_edit, self.kit, poll, message_id, (answered, total, tally))
                topic = f"poll:{poll.id}:count"
                for person, message in build_each(
                    session, [facilitator], edit, assembly_id=self.kit.assembly.id, chat=chat_of, topic=topic
                ):
                    outbox.enqueue(session, self.kit.assembly.id, person.chat_id, [message])
                await polls.set_shown(session, poll.id, answered)  # a count that failed waits for the next

    async def ask_feedback(self, now: datetime) -> None:
        assembly = self.kit.assembly
        async with self.db.transaction() as session:
            ended = [
                record.id
                for record in await sessions.session_rows(session, assembly.id)
                if record.cancelled_at is None and in_feedback_window(record.ends_at, now)
            ]
            for due in await feedback.unasked(session, ended, FEEDBACK_BATCH):
                person = due.participant
                definition = assembly.session(due.session_key)
                feedback.mark_asked(session, due.session_id, person.id)  # asked once, even if it fails
                if definition is None:
                    continue
                ask = partial(_invitation, self.kit, definition)
                topic = f"feedback:{due.session_key}"
                for _, message in build_each(
                    session, [person], ask, assembly_id=assembly.id, chat=chat_of, topic=topic
                ):
                    if message is not None:
                        outbox.enqueue(session, assembly.id, person.chat_id, [message], topic=topic)
