"""`assembly-bot chat --as facilitator`: the person facilitates a table of simulated participants.

The participants are seeded into the store (confirmed, checked in to the first session, seated at
the person's table); the person is granted the facilitator role. After each typed line, what the
flows queued in the outbox is delivered here: the person's messages are printed, and each
simulated participant answers the ballot they got by pressing one of its buttons through the same
flows. The poll job's live count ("3 of 5 answered") is refreshed after every answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from bot.console.chat import ConsoleChat
from bot.jobs.polls import PollJob
from bot.jobs.session_mirror import sync_sessions
from bot.store import outbox
from bot.store.database import Database
from bot.store.participants import SqlStore, ensure_assembly
from bot.store.roles import SqlRoles, create_invite
from bot.store.sessions import SqlSessions
from bot.store.tables import SqlTables
from bot.telegram.runner import handle_event
from flows import actions as act
from flows.engine import IDLE
from flows.events import ButtonPress, Sender, Text
from flows.languages import match_language
from flows.polls.ballots import VoteButton
from flows.ports import Presence
from flows.status import ParticipantStatus

TABLE = 1
TABLEMATES = (
    (2_000_001, "Amélie", "fr"),
    (2_000_002, "Jan", "nl"),
    (2_000_003, "Layla", "ar"),
    (2_000_004, "Jonas", "de"),
    (2_000_005, "Grace", "en"),
)
"""Who sits at the rehearsal table: one person per shipped language."""
REASONS = {
    "fr": "Il faut d'abord des transports publics fiables dans tous les quartiers.",
    "nl": "Eerst moet het openbaar vervoer in alle wijken betrouwbaar zijn.",
    "ar": "يجب أولاً توفير نقل عام موثوق في جميع الأحياء.",
    "de": "Zuerst braucht es verlässliche öffentliche Verkehrsmittel in allen Vierteln.",
    "en": "Reliable public transport in every neighbourhood has to come first.",
}
"""What a simulated participant writes when their answer asks for a reason, in their language."""
MAX_PRESSES = 40
"""Enough presses for any ballot (ten options ranked, twenty dots spread), and never a loop."""


@dataclass
class Rehearsal:
    """Seeds the table, then delivers the outbox after each line the facilitator types."""

    chat: ConsoleChat
    session_id: str
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    _ballots: list[tuple[Sender, act.SendMessage, int]] = field(default_factory=list)
    _queries: int = 0

    @property
    def db(self) -> Database:
        return self.chat.db

    async def seed(self) -> None:
        """Mirror the sessions, seat the simulated participants and make the person a facilitator."""
        kit, me = self.chat.kit, self.chat.sender
        assembly, now = kit.assembly, kit.clock.now()
        async with self.db.transaction() as session:
            await ensure_assembly(session, assembly)
            await sync_sessions(session, assembly, kit.translations, now)
            store, sessions = SqlStore(session, assembly.id), SqlSessions(session, assembly.id)
            seating = {}
            for user_id, _, language in TABLEMATES:
                person = await store.participant(user_id) or await store.add_participant(
                    user_id, user_id, language
                )
                await store.registrations.set_status(person.id, ParticipantStatus.CONFIRMED, now)
                await sessions.check_in(
                    person.id, self.session_id, Presence(now, late=False, method="manual")
                )
                seating[person.id] = TABLE
            language = match_language(me.language_code, assembly.languages) or assembly.fallback_language
            facilitator = await store.participant(me.user_id) or await store.add_participant(
                me.user_id, me.chat_id, language
            )
            code = await create_invite(session, assembly.id, "facilitator", now, timedelta(minutes=5))
            await SqlRoles(session, assembly.id).redeem(code, facilitator.id, me.first_name, now)
            await SqlTables(session, assembly.id).seat(self.session_id, seating, {TABLE: facilitator.id})

    async def deliver(self) -> None:
        """Deliver the outbox; simulated participants answer their ballots one by one."""
        await self._drain()
        job = PollJob(self.db, self.chat.kit, lambda: None)
        while self._ballots:
            sender, ballot, message_id = self._ballots.pop(0)
            await self._answer(sender, ballot.buttons, message_id)
            await job.refresh_counts()
            await self._drain()

    async def _answer(self, sender: Sender, keyboard: act.Keyboard, message_id: int) -> None:
        """Fill in the ballot as a person would, press after press, until the answer is sent: pick
        one answer, tick some and send, spread every dot and send, or rank every option and send; an
        open question or a block gets a sentence typed in the person's language."""
        for _ in range(MAX_PRESSES):
            data = self._choose(keyboard)
            if data is None:
                return
            self._queries += 1
            press = ButtonPress(sender, data, message_id, f"sim-{self._queries}")
            async with self.db.transaction() as session:
                result = await handle_event(session, self.chat.kit, press)
                if result.state != IDLE:  # a block or an open answer asks for words: give them
                    await handle_event(
                        session, self.chat.kit, Text(sender, REASONS[sender.language_code or ""])
                    )
            redrawn = [a for a in result.actions if isinstance(a, act.EditMessage) and a.buttons]
            if not redrawn:
                return
            keyboard = redrawn[-1].buttons

    def _choose(self, keyboard: act.Keyboard) -> str | None:
        """The next button to press on a ballot, or None when it has none (it was sent)."""
        votes = [
            (button, vote)
            for row in keyboard
            for button in row
            if (vote := VoteButton.unpack(button.data)) is not None
        ]
        send = [b.data for b, v in votes if v.op in ("M", "D", "R") and v.draft not in ("", "0")]
        steps = {
            "c": [b.data for b, v in votes if v.op == "c"],
            "t": [b.data for b, v in votes if v.op == "t"],
            "m": [] if send else [b.data for b, v in votes if v.op == "m"],
            "d": [] if send else [b.data for b, v in votes if v.op == "d" and b.text == "➕"],
            "r": [b.data for b, v in votes if v.op == "r" and v.draft],
        }
        possible = next((choices for choices in steps.values() if choices), send)
        return self.rng.choice(possible) if possible else None

    async def _drain(self) -> None:
        me = self.chat.sender.chat_id
        while True:
            async with self.db.transaction() as session:
                chats = await outbox.due_chats(session, self.chat.kit.assembly.id)
            if not chats:
                return
            for chat_id in chats:
                while True:
                    async with self.db.transaction() as session:
                        queued, _ = await outbox.next_due(session, self.chat.kit.assembly.id, chat_id)
                    if queued is None:
                        break
                    action = queued.action
                    message_id = await self.chat.show(action) if chat_id == me else self.receive(action)
                    async with self.db.transaction() as session:
                        await outbox.mark_sent(session, queued.id, message_id, None)

    def receive(self, action: act.Action) -> int | None:
        """A simulated participant's phone: new messages get an id, ballots wait to be answered."""
        if not isinstance(action, act.SendMessage):
            return None
        self._queries += 1
        message_id = 1_000_000 + self._queries
        person = next((p for p in TABLEMATES if p[0] == action.chat_id), None)
        if person is not None and any(b.data.startswith("pv:") for row in action.buttons for b in row):
            self._ballots.append((Sender(person[0], person[0], person[1], person[2]), action, message_id))
        return message_id
