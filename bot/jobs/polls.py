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
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import outbox
from bot.store.database import Database
from bot.store.models import AttendanceRow, FeedbackRequestRow, ParticipantRow, PollRow, SessionRow
from bot.store.participants import SqlStore
from bot.store.polls import progress, view
from bot.telegram.runner import Services
from flows.actions import EditMessage
from flows.feedback import invitation
from flows.polls.live import controls, live_tag, live_text, shows_running_result
from flows.polls.results import close_poll, tally_of

log = logging.getLogger(__name__)

FEEDBACK_WINDOW = timedelta(days=2)
"""Sessions that ended longer ago than this get no evaluation (the bot was down for too long)."""


class PollJob:
    """The scheduled job: close polls whose timer ran out, refresh live counts, ask for feedback."""

    def __init__(self, db: Database, services: Services, wake: Callable[[], None]) -> None:
        self.db, self.services, self.wake = db, services, wake

    async def __call__(self, now: datetime) -> None:
        await self.close_due(now)
        await self.refresh_counts()
        await self.ask_feedback(now)
        self.wake()

    def _store(self, session: AsyncSession) -> SqlStore:
        return SqlStore(session, self.services.assembly.id)

    async def _open_polls(self, session: AsyncSession) -> list[tuple[PollRow, str]]:
        query = (
            select(PollRow, SessionRow.key)
            .join(SessionRow, SessionRow.id == PollRow.session_id)
            .where(SessionRow.assembly_id == self.services.assembly.id, PollRow.closed_at.is_(None))
            .order_by(PollRow.id)
        )
        return list((await session.execute(query)).tuples())

    async def close_due(self, now: datetime) -> None:
        async with self.db.transaction() as session:
            due = [
                view(row, key)
                for row, key in await self._open_polls(session)
                if row.closes_at is not None and row.closes_at <= now
            ]
        for poll in due:
            async with self.db.transaction() as session:
                store = self._store(session)
                facilitator = await store.participants([poll.facilitator_id])
                chat = facilitator[0].chat_id if facilitator else 0
                actions = await close_poll(self.services.context(store), poll)
                outbox.enqueue_each(session, chat, actions)

    async def refresh_counts(self) -> None:
        async with self.db.transaction() as session:
            store = self._store(session)
            for row, key in await self._open_polls(session):
                answered, total = await progress(session, row.id)
                if answered == row.shown:
                    continue
                poll = view(row, key)
                message_id = await outbox.sent_message_id(session, live_tag(poll))
                people = await store.participants([poll.facilitator_id])
                if message_id is None or not people:
                    continue  # the live message is not sent yet: the next run edits it
                facilitator = people[0]
                tr = self.services.translations.for_language(facilitator.language)
                tally = (
                    tally_of(poll, await store.polls.ballots(poll.id)) if shows_running_result(poll) else None
                )
                text = live_text(tr, poll, answered, total, tally)
                edit = EditMessage(facilitator.chat_id, message_id, text, controls(tr, poll))
                outbox.enqueue(session, facilitator.chat_id, [edit])
                row.shown = answered

    async def ask_feedback(self, now: datetime) -> None:
        assembly = self.services.assembly
        asked = exists().where(
            FeedbackRequestRow.session_id == AttendanceRow.session_id,
            FeedbackRequestRow.participant_id == AttendanceRow.participant_id,
        )
        async with self.db.transaction() as session:
            query = (
                select(SessionRow.id, SessionRow.key, ParticipantRow)
                .join(AttendanceRow, AttendanceRow.session_id == SessionRow.id)
                .join(ParticipantRow, ParticipantRow.id == AttendanceRow.participant_id)
                .where(
                    SessionRow.assembly_id == assembly.id,
                    SessionRow.cancelled_at.is_(None),
                    SessionRow.ends_at <= now,
                    SessionRow.ends_at > now - FEEDBACK_WINDOW,
                    ParticipantRow.blocked_at.is_(None),
                    ~asked,
                )
                .limit(500)
            )
            for session_id, key, person in (await session.execute(query)).tuples():
                definition = assembly.session(key)
                session.add(FeedbackRequestRow(session_id=session_id, participant_id=person.id))
                tr = self.services.translations.for_language(person.language)
                message = invitation(tr, assembly, definition, person.chat_id) if definition else None
                if message is not None:
                    outbox.enqueue(session, person.chat_id, [message], topic=f"feedback:{key}")
