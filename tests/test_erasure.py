"""/forget erases everything linked to the person, /mydata shows all of it first, and a sent message
keeps no copy of what it said. The guard: someone registers through the real conversation, leaves a
distinctive text in every place the bot takes text, is erased, and then every column of every table is
searched for any of it, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, cast

import pytest
from conftest import BOT_ID, FlowHarness, mirror_sessions
from polls_room import PEOPLE, S1_START, check_in, invite, join, poll_id, room_assembly
from sqlalchemy import MetaData, func, select

from bot.jobs.digest import send_digests
from bot.jobs.polls import PollJob
from bot.store import outbox, updates
from bot.store.database import Database
from bot.store.models import OutboxMessage, ParticipantRow, TableRow
from bot.store.participants import SqlStore
from bot.store.sessions import SqlSessions
from bot.telegram.api import TelegramApi
from bot.telegram.runner import Runner
from bot.telegram.sender import OutboxSender
from flows.actions import Action, EditMessage, SendDocument, SendMessage
from flows.assembly import Assembly
from flows.events import Command, ContactShared, Event, Sender, Text
from flows.ports import Presence
from flows.status import ParticipantStatus

USER = 987_654_321
PHONE = "+32470555111"
FIRST_NAME = "Zephyrine"
TYPED = {
    "first name": FIRST_NAME,
    "accessibility note": "Quillon my guide dog",
    "reason for not coming": "Zanzibar wedding",
    "open poll answer": "Xylophone garden on every roof",
    "reason for a block": "Quokka objection",
    "feedback comment": "Marmalade was the best part of the day",
    "question of a poll they wrote": "Wombat crossings on Rue Haute?",
    "option of a poll they wrote": "Ocelot lanes",
}
SECRETS = (*TYPED.values(), str(USER), PHONE.lstrip("+"))


class Conversation:
    """Events through the bot's own update loop step (record, handle once, queue the replies), and the
    keyboard each chat sees, so buttons are pressed by their label as a person would."""

    def __init__(self, flow: FlowHarness) -> None:
        self.flow = flow
        self.runner = Runner(
            flow.db, cast(TelegramApi, None), flow.kit, cast(OutboxSender, None), bot_id=BOT_ID
        )
        self.update_id = 0
        self.keyboards: dict[int, dict[str, str]] = {}
        self.said: dict[int, list[str]] = {}
        self.files: dict[int, list[bytes]] = {}

    async def send(self, event: Event) -> list[Action]:
        self.update_id += 1
        async with self.flow.db.transaction() as session:
            await updates.record(
                session, BOT_ID, [updates.Received(self.update_id, event.sender.chat_id, event)]
            )
        await self.runner.drain()
        # The step's replies carry its update id; after an erasure they carry none and leave once sent.
        replies = (OutboxMessage.update_id == self.update_id) | (
            OutboxMessage.purge_after_send & (OutboxMessage.status == outbox.PENDING)
        )
        async with self.flow.db.transaction() as session:
            rows = (
                await session.execute(select(OutboxMessage).where(replies).order_by(OutboxMessage.id))
            ).scalars()
            actions = [outbox.decode(row) for row in rows]
        for action in actions:
            if isinstance(action, SendMessage | EditMessage):
                self.said.setdefault(action.chat_id, []).append(action.text)
                if action.buttons:
                    self.keyboards[action.chat_id] = {b.text: b.data for row in action.buttons for b in row}
            if isinstance(action, SendDocument):
                self.files.setdefault(action.chat_id, []).append(action.data)
        return actions

    async def text(self, sender: Sender, text: str) -> str:
        await self.send(Text(sender, text))
        return self.said[sender.chat_id][-1]

    async def press(self, sender: Sender, label: str) -> str:
        data = next(d for text, d in self.keyboards[sender.chat_id].items() if label in text)
        await self.send(self.flow.press(sender, data))
        return self.said[sender.chat_id][-1]

    def last(self, chat: int) -> str:
        return self.said[chat][-1]


async def _register(talk: Conversation, person: Sender) -> None:
    """The whole questionnaire, in English, as a resident answers it."""
    await talk.send(Command(person, "start", "register"))
    await talk.press(person, "English")
    await talk.press(person, "I agree")
    await talk.text(person, FIRST_NAME)
    for label in ("25 to 34", "a man", "North", "secondary school", "somewhat worried"):
        await talk.press(person, label)
    await talk.text(person, "3")
    for label in ("English", "Done", "Saturday, March 6, 2027", "Done", "No", "wheelchair access", "Done"):
        await talk.press(person, label)
    await talk.text(person, TYPED["accessibility note"])
    await talk.send(ContactShared(person, PHONE, own=True))
    assert "Please check your answers:" in talk.last(person.chat_id)
    assert "Thank you, your registration is complete!" in await talk.press(person, "Confirm")


def _found(value: Any) -> list[str]:
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    if isinstance(value, dict | list):
        text += json.dumps(value, ensure_ascii=False)
    return [secret for secret in SECRETS if secret in text]


class Scan:
    """Every column of every table the migrations made (reflected from the database, not taken from
    the models, so a table added by a migration alone is searched too), for the person's texts and
    numbers."""

    def __init__(self, db: Database) -> None:
        self.db, self.metadata = db, MetaData()

    async def __call__(self) -> list[str]:
        found = []
        async with self.db.engine.connect() as connection:
            if not self.metadata.tables:
                await connection.run_sync(self.metadata.reflect)
            for table in self.metadata.sorted_tables:
                for row in (await connection.execute(select(table))).mappings():
                    found += [
                        f"{table.name}.{name}: {hit}" for name, value in row.items() for hit in _found(value)
                    ]
        return found


async def _deliver(db: Database, chat: int) -> None:
    """What the sender does once Telegram accepted each message still queued for `chat`."""
    async with db.transaction() as session:
        query = select(OutboxMessage.id).where(
            OutboxMessage.chat_id == chat, OutboxMessage.status == outbox.PENDING
        )
        for row_id in list((await session.execute(query)).scalars()):
            await outbox.mark_sent(session, row_id, 1, None)


@pytest.fixture
async def room(db: Database, assembly: Assembly) -> FlowHarness:
    harness = FlowHarness(db, room_assembly(assembly))
    await harness.prepare()
    return harness


async def _take_part(talk: Conversation, person: Sender) -> tuple[int, Sender]:
    """The registered person is confirmed, checked in, and a facilitator too; they leave a text in
    every other place the bot takes one. Returns their participant id and the organiser."""
    room = talk.flow
    assembly = room.kit.assembly
    await mirror_sessions(room.db, assembly, room.clock.now())
    async with room.db.transaction() as session:
        me = await SqlStore(session, assembly.id).participant(USER)
        assert me is not None
        await SqlStore(session, assembly.id).registrations.set_status(
            me.id, ParticipantStatus.CONFIRMED, room.clock.now()
        )
    room.clock.set(S1_START + timedelta(minutes=10))
    await check_in(room.db, assembly, PEOPLE)
    async with room.db.transaction() as session:
        await SqlSessions(session, assembly.id).check_in(
            me.id, "s1", Presence(S1_START, late=False, method="code")
        )
    facilitator = await join(room, "facilitator", 900)
    organiser = await join(room, "organiser", 901)

    # Can't come to the second session, with a reason.
    await talk.send(room.press(person, "rsvp:s2:no"))
    await talk.text(person, TYPED["reason for not coming"])

    # An open question for the whole session, and a proposal blocked with a reason.
    await talk.send(room.press(facilitator, "pt:ideas"))
    ideas = poll_id(tuple(await talk.send(room.press(facilitator, "ps:ideas:s"))))
    await talk.press(person, "Write my answer")
    await talk.text(person, TYPED["open poll answer"])
    await talk.send(room.press(facilitator, f"pf:{ideas}:close"))  # results quote every answer
    assert any(TYPED["open poll answer"] in said for said in talk.said[facilitator.chat_id])
    await talk.send(room.press(facilitator, "pt:car-free-2035"))
    proposal = poll_id(tuple(await talk.send(room.press(facilitator, "ps:car-free-2035:s"))))
    await talk.send(room.press(person, f"pv:{proposal}:c:3"))
    await talk.text(person, TYPED["reason for a block"])

    # Then staff too, under their Telegram name (staff are not asked in polls, so only now), named to
    # the others in the table notices; as a facilitator, a poll of their own words for the session.
    code = await invite(room.db, assembly, "facilitator", room.clock.now())
    await talk.send(Command(person, "start", f"role-{code}"))
    await talk.send(Command(organiser, "tables"))
    await talk.send(room.press(person, "pk:single"))
    await talk.text(person, TYPED["question of a poll they wrote"])
    await talk.text(person, f"{TYPED['option of a poll they wrote']}\nNo change")
    assert len(await talk.send(room.press(person, "ps:_:s"))) > 2  # ballots went out

    # The evaluation after the session: two ratings and a comment.
    room.clock.set(S1_START + timedelta(hours=8))
    await PollJob(room.db, room.kit, wake=lambda: None).ask_feedback(room.clock.now())
    await talk.send(room.press(person, "fb:s1:0:4"))
    await talk.send(room.press(person, "fb:s1:1:2"))
    await talk.text(person, TYPED["feedback comment"])
    return me.id, organiser


@pytest.mark.both_backends
async def test_forget_leaves_nothing_of_what_the_person_typed_anywhere(room: FlowHarness) -> None:
    talk = Conversation(room)
    person = Sender(USER, USER, FIRST_NAME, "en")
    await _register(talk, person)
    me, organiser = await _take_part(talk, person)

    # /mydata shows every one of them, in the message and in the file.
    await talk.send(Command(person, "mydata"))
    shown = talk.last(person.chat_id)
    for what, text in TYPED.items():
        assert text in shown, what
        assert text in talk.files[person.chat_id][-1].decode(), what
    assert "Role: facilitator, shown as Zephyrine" in shown

    scan = Scan(room.db)
    before = await scan()
    assert {hit.rsplit(": ", 1)[1] for hit in before} == set(SECRETS)  # the scan sees each of them
    await talk.send(Command(person, "forget"))
    assert "Goodbye" in await talk.press(person, "Yes, erase my data")
    await _deliver(room.db, USER)  # the goodbye leaves with nothing kept
    assert await scan() == []

    # An erased facilitator is given no table and named to nobody; an erased organiser gets no digest.
    await talk.send(Command(organiser, "tables", "s1"))
    async with room.db.transaction() as session:
        facilitators = set((await session.execute(select(TableRow.facilitator_id))).scalars())
    assert me not in facilitators

    # Asking again leaves no new record with the Telegram id behind, and the new seating named nobody.
    await talk.send(Command(person, "mydata"))
    assert talk.last(person.chat_id) == "I keep nothing about you."
    await _deliver(room.db, USER)
    async with room.db.transaction() as session:
        kept = await session.scalar(select(func.count()).where(ParticipantRow.telegram_user_id == USER))
    assert kept == 0
    assert await scan() == []


async def test_an_erased_organiser_gets_no_digest(room: FlowHarness) -> None:
    talk = Conversation(room)
    organiser = await join(room, "organiser", 901)
    await talk.send(Command(organiser, "forget"))
    await talk.press(organiser, "Yes, erase my data")
    kit = room.kit
    await send_digests(room.db, kit.assembly, kit.translations, kit.charts, room.clock.now())
    async with room.db.transaction() as session:
        chats = set(
            (
                await session.execute(select(OutboxMessage.chat_id).where(OutboxMessage.topic == "digest"))
            ).scalars()
        )
    assert chats == set(kit.assembly.digest.recipients)  # the definition's, not the erased organiser


async def test_a_sent_message_keeps_no_copy_of_what_it_said(flow: FlowHarness) -> None:
    db = flow.db
    async with db.transaction() as session:
        (row,) = outbox.enqueue(
            session, flow.kit.assembly.id, 42, [SendMessage(42, "Your phone: +32470555111")]
        )
        await session.flush()
        await outbox.mark_sent(session, row.id, 7, None)
    async with db.transaction() as session:
        (sent,) = (await session.execute(select(OutboxMessage))).scalars()
    assert (sent.status, sent.telegram_message_id, sent.payload, sent.blob) == (outbox.SENT, 7, {}, None)
