"""Guarding the whole class of odd input: arbitrary sequences of events, sent through the real flows
and the real store of a room in session, never raise, always answer what needs an answer, stay within
the Bot API's limits and leave the store consistent.

The room: six participants at two tables, a facilitator and an organiser (joined by real invites), a
secret poll, a multiple-choice poll and an open-text poll running, open registration for strangers.
Events: any text (empty, 4,096 characters, NUL, right-to-left overrides, numbers in every script),
commands known and unknown in any order, buttons seen earlier (now stale or not), forged and oversized
button data, contacts, photos and stickers, votes in unknown polls. `--hypothesis-show-statistics`
lists the conversation states reached.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import FlowHarness
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from polls_room import open_room, room_assembly, start
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.database import Database
from bot.store.models import Base, ConversationRow, ParticipantRow, PollRecipientRow, SecretBallotRow
from flows import privacy
from flows.actions import (
    MAX_BUTTONS,
    MAX_CAPTION,
    MAX_NOTICE,
    MAX_ROW,
    MAX_TEXT,
    Action,
    AnswerButton,
    EditMessage,
    SendDocument,
    SendMessage,
    SendPhoto,
    units,
)
from flows.assembly import Assembly
from flows.events import ButtonPress, Command, ContactShared, Event, Media, PollAnswer, Sender, Text
from flows.status import ParticipantStatus

PEOPLE = (801, 802, 803, 804, 805, 806)
STAFF = (900, 901)
STRANGERS = (950, 951, 952)
DIGITS = ["0123456789", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९", "০১২৩৪৫৬৭৮৯", "๐๑๒๓๔๕๖๗๘๙", "²³¹①⑩"]
ODD_TEXTS = [
    "",
    " ",
    "\n\t ",
    "x" * 4096,
    "é" * 4095 + "😀",
    "a\x00b",
    "\u202etxet\u202c",
    "\u200f\u200e\ufeff",
    '=HYPERLINK("https://evil.example")',
    "1" * 5000,
    "- 3",
    "/",
    "/ start",
]
COMMANDS = [
    "start", "help", "language", "cancel", "mydata", "forget", "sessions", "checkin", "poll", "tables",
    "pin", "mytable", "dashboard",
]  # fmt: skip
OPENERS = [
    (950, "start", "register"),
    (801, "sessions", ""),
    (802, "language", ""),
    (803, "forget", ""),
    (900, "poll", ""),
    (901, "tables", "s1"),
]
"""Commands whose buttons open each kind of conversation: registration, RSVP, language, erasure,
composing a poll, seating."""
PREFIXES = ["rg", "cf", "lang", "menu", "fg", "rsvp", "fb", "pv", "pf", "pt", "pk", "ps"]
MEDIA = ["voice", "photo", "sticker", "video", "document", "location", "animation"]

numbers = st.builds(
    lambda digits, value: "".join(digits[int(d) % len(digits)] for d in str(value)),
    st.sampled_from(DIGITS),
    st.integers(0, 2**70),
)
texts = st.one_of(st.text(max_size=60), st.sampled_from(ODD_TEXTS), numbers)
forged_data = st.one_of(
    st.text(max_size=80),
    st.builds(lambda p, rest: f"{p}:{rest}", st.sampled_from(PREFIXES), st.text(max_size=70)),
    st.builds(lambda p, n, rest: f"{p}:{n}:{rest}", st.sampled_from(PREFIXES), numbers, st.text(max_size=8)),
)


@pytest.fixture
async def world(db: Database, assembly: Assembly) -> tuple[FlowHarness, list[tuple[int, str]]]:
    """A room in session, and every button the bot has shown so far: (chat, data)."""
    registration = assembly.registration
    assert registration is not None
    room = room_assembly(assembly).model_copy(
        update={"registration": registration.model_copy(update={"open": True})}
    )
    harness = FlowHarness(db, room)
    await harness.prepare()
    facilitator, _, _ = await open_room(harness)
    shown: list[tuple[int, str]] = []
    for template in ("heat-pumps", "topics", "ideas"):
        _, started = await start(harness, facilitator, template)
        shown += list(_buttons(started))
    for user, name, argument in OPENERS:  # the buttons of every conversation's first step
        shown += list(_buttons(await harness.send(Command(harness.sender(user, "en"), name, argument))))
    return harness, shown


def _buttons(actions: tuple[Action, ...]) -> Iterator[tuple[int, str]]:
    for action in actions:
        if isinstance(action, SendMessage | EditMessage):
            yield from ((action.chat_id, button.data) for row in action.buttons for button in row)


def _events(data: st.DataObject, shown: list[tuple[int, str]], focus: int, query: Iterator[int]) -> Event:
    # Mostly the person in focus acts, pressing the newest buttons they were shown, so a conversation
    # goes deep; anyone may press anything too, and type anything at any step.
    kinds = ["button", "text", "button", "command", "text", "contact", "media", "vote"]
    kind = data.draw(st.sampled_from(kinds), label="kind")
    # An index rather than a sample of `shown`, which grows: the draws stay the same when replayed.
    back = data.draw(st.integers(0, 500), label="newest but") if kind == "button" else None
    theirs = [item for item in shown if item[0] == focus] or shown
    pressed = None if back is None else theirs[-1 - back % len(theirs)]
    chosen = data.draw(st.sampled_from([None, *PEOPLE, *STAFF, *STRANGERS]), label="user")
    user = focus if chosen is None else chosen
    language = data.draw(st.sampled_from([None, "en", "fr", "nl", "de", "ar", "pt-BR", "zz"]), label="lang")
    sender = Sender(user, user, data.draw(st.sampled_from(["Test", "", "=cmd", "\u202eA"])), language)
    if kind == "text":
        return Text(sender, data.draw(texts, label="text"))
    if kind == "command":
        name = data.draw(
            st.sampled_from(COMMANDS)
            | st.text(string.ascii_letters + string.digits + "_éٍ", min_size=1, max_size=50)
        )
        return Command(sender, name.lower(), data.draw(texts, label="argument"))
    if pressed is not None:
        forged = data.draw(st.none() | forged_data, label="forged")
        button = pressed[1] if forged is None else forged
        message = data.draw(st.none() | st.integers(1, 2**40), label="message")
        return ButtonPress(sender, button, message, f"q{next(query)}")
    if kind == "contact":
        return ContactShared(sender, data.draw(texts, label="phone"), data.draw(st.booleans()))
    if kind == "media":
        return Media(sender, data.draw(st.sampled_from(MEDIA)))
    options = data.draw(st.lists(st.integers(0, 20), max_size=4).map(tuple))
    return PollAnswer(sender, data.draw(st.text(max_size=12), label="poll"), options)


def _within_limits(action: Action) -> None:
    if isinstance(action, SendMessage | EditMessage):
        assert action.text.strip(), action
        assert units(action.text) <= MAX_TEXT
        assert sum(map(len, action.buttons)) <= MAX_BUTTONS
        assert all(len(row) <= MAX_ROW for row in action.buttons)
        assert all(0 < len(b.data.encode()) <= 64 for row in action.buttons for b in row)
    elif isinstance(action, AnswerButton):
        assert units(action.text) <= MAX_NOTICE
    elif isinstance(action, SendPhoto | SendDocument):
        assert units(action.caption) <= MAX_CAPTION
        assert action.data


def _answered(event: Event, actions: tuple[Action, ...]) -> None:
    """A button press is acknowledged exactly once; a message typed or sent gets a message back."""
    if isinstance(event, ButtonPress):
        acknowledged = [a for a in actions if isinstance(a, AnswerButton) and a.query_id == event.query_id]
        assert len(acknowledged) == 1, (event, actions)
    elif isinstance(event, Text | Command | ContactShared | Media):
        chat = event.sender.chat_id
        replies = [a for a in actions if isinstance(a, SendMessage | SendDocument) and a.chat_id == chat]
        assert replies, (event, actions)


async def _orphans(session: AsyncSession) -> list[str]:
    """Rows whose foreign key names a row that is not there."""
    found = []
    for table in Base.metadata.sorted_tables:
        for key in table.foreign_keys:
            column, target = key.parent, key.column
            query = (
                select(func.count())
                .select_from(table)
                .where(column.is_not(None), column.not_in(select(target)))
            )
            if await session.scalar(query):
                found.append(f"{table.name}.{column.name}")
    return found


async def _check_store(db: Database, flows: set[str]) -> None:
    async with db.transaction() as session:
        statuses = set((await session.execute(select(ParticipantRow.status))).scalars())
        assert statuses <= {status.value for status in ParticipantStatus}
        assert set((await session.execute(select(ConversationRow.flow))).scalars()) <= {*flows, None}
        assert await _orphans(session) == []
        voted_query = (
            select(PollRecipientRow.poll_id, func.count())
            .where(PollRecipientRow.voted)
            .group_by(PollRecipientRow.poll_id)
        )
        voted = {poll: count for poll, count in (await session.execute(voted_query)).all()}
        ballot_query = select(SecretBallotRow.poll_id, func.count()).group_by(SecretBallotRow.poll_id)
        ballots = {poll: count for poll, count in (await session.execute(ballot_query)).all()}
        for poll, count in ballots.items():  # one secret ballot per voter, never more
            assert count == voted.get(poll, 0), (poll, count, voted)
        assert await session.scalar(text("SELECT count(*) FROM participants")) >= len(PEOPLE)


@settings(  # how many sequences: the run's Hypothesis profile (tests/conftest.py)
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
async def test_any_sequence_of_events_is_answered_within_limits_and_keeps_the_store_sound(
    world: tuple[FlowHarness, list[tuple[int, str]]], data: st.DataObject
) -> None:
    flow, shown = world
    query = iter(range(10**9))
    states: Any = set()
    focus = data.draw(st.sampled_from(PEOPLE + STAFF + STRANGERS), label="focus")
    for _ in range(data.draw(st.integers(1, 8), label="length")):
        sent = _events(data, shown, focus, query)
        actions = await flow.send(sent)
        for action in actions:
            _within_limits(action)
        _answered(sent, actions)
        shown.extend(_buttons(actions))
        async with flow.db.transaction() as session:
            for flow_name, step in (
                await session.execute(select(ConversationRow.flow, ConversationRow.step))
            ).tuples():
                states.add(f"{flow_name}:{step}")
    for state in states:
        event(f"state {state}")
    await _check_store(flow.db, {*flow.kit.router.flows, privacy.FLOW})  # erasure waits on buttons only
