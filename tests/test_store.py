"""The store on SQLite and PostgreSQL: participants, conversation state, the update log and the outbox."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.store import outbox, updates
from bot.store.database import Database
from bot.store.models import ConversationRow, InboundUpdate, OutboxMessage, ParticipantRow, utcnow
from bot.store.participants import SqlStore, ensure_assembly
from bot.store.polls import ballot_from_json, ballot_to_json
from flows.actions import Button, SendDocument, SendMessage
from flows.assembly import Assembly
from flows.engine import IDLE, ConversationState, Step
from flows.events import Sender, Text
from flows.polls.votes import Choice, Choices, Dots, Ranking, Written

pytestmark = pytest.mark.both_backends  # the store itself

BOT, OTHER_BOT = 123456, 654321


async def test_participant_language_and_state_round_trip(db: Database, assembly: Assembly) -> None:
    async with db.transaction() as session:
        await ensure_assembly(session, assembly)
        store = SqlStore(session, assembly.id)
        person = await store.add_participant(9_000_000_001, 9_000_000_001, "fr")
        assert await store.load_state(person.user_id) == IDLE
        await store.set_language(person.id, "ar")
        await store.save_state(
            person.id, ConversationState("registration", Step("q", "age"), {"n": [1, "é"]})
        )
    async with db.transaction() as session:
        store = SqlStore(session, assembly.id)
        again = await store.participant(9_000_000_001)
        assert again is not None
        assert again.language == "ar"
        state = await store.load_state(again.user_id)
        assert state == ConversationState("registration", Step("q", "age"), {"n": [1, "é"]})
        # The stored form is the token conversations have always been saved with.
        assert (await session.get_one(ConversationRow, again.id)).step == "q.age"
        assert await store.participant(42) is None


def test_ballots_are_stored_as_the_json_the_report_views_unpack() -> None:
    """The stored shape is what running assemblies hold and report_poll_options reads: keys and order."""
    shapes = {
        Choice(2): {"c": 2},
        Choice(3, reason="not like this"): {"c": 3, "reason": "not like this"},
        Choices((0, 2)): {"m": [0, 2]},
        Dots((3, 0, 7)): {"d": [3, 0, 7]},
        Ranking((2, 0)): {"r": [2, 0]},
        Written("plus de vélos"): {"t": "plus de vélos"},
    }
    for ballot, shape in shapes.items():
        assert json.dumps(ballot_to_json(ballot)) == json.dumps(shape)
        assert ballot_from_json(shape) == ballot


async def test_update_log_drops_redeliveries(db: Database) -> None:
    event = Text(Sender(7, 7), "hello")
    batch = [updates.Received(10, 7, event), updates.Received(11, 0, None)]
    async with db.transaction() as session:
        fresh = await updates.record(session, BOT, batch)
    assert [item.update_id for item in fresh] == [10, 11]
    async with db.transaction() as session:
        assert await updates.record(session, BOT, batch) == []
        assert await updates.next_batch(session, BOT, 10) == [(10, 7)]
        assert await updates.pending_chats(session, BOT) == [7]
        assert await updates.pending_chats(session, OTHER_BOT) == []  # update ids are per bot
        assert await updates.claim(session, BOT, [10, 11]) == [updates.Claimed(10, 7, event)]
        await updates.finish(session, BOT, 10)
    async with db.transaction() as session:
        assert await updates.claim(session, BOT, [10]) == []
        assert await updates.pending_chats(session, BOT) == []
        # Another bot's update 10 is news, not a redelivery.
        assert [item.update_id for item in await updates.record(session, OTHER_BOT, batch[:1])] == [10]
        await updates.finish(session, OTHER_BOT, 10)
        count = await session.scalar(select(func.count()).select_from(InboundUpdate))
        assert count == 3
        # The log keeps the id, not what was typed.
        assert await session.scalar(select(InboundUpdate.event).where(InboundUpdate.update_id == 10)) is None


async def test_outbox_order_and_blocking(db: Database, assembly: Assembly) -> None:
    later = utcnow() + timedelta(hours=1)
    async with db.transaction() as session:
        await ensure_assembly(session, assembly)
        await SqlStore(session, assembly.id).add_participant(5, 5, "en")
        outbox.enqueue(
            session,
            assembly.id,
            5,
            [SendMessage(5, "one", ((Button("a", "x:1"),),)), SendDocument(5, b"\x00\x01", "data.json")],
        )
        outbox.enqueue(session, assembly.id, 6, [SendMessage(6, "later")], not_before=later)
    async with db.transaction() as session:
        assert await outbox.due_chats(session, assembly.id) == [5]
        assert await outbox.due_chats(session, "another-assembly") == []  # each bot sends its own
        assert await outbox.next_due(session, assembly.id, 6) == (None, False)  # not before an hour from now
        first, more = await outbox.next_due(session, assembly.id, 5)
        assert first is not None
        assert more
        assert first.action == SendMessage(5, "one", ((Button("a", "x:1"),),))
        await outbox.mark_sent(session, first.id, 1, None)
    async with db.transaction() as session:
        second, more = await outbox.next_due(session, assembly.id, 5)
        assert second is not None
        assert not more
        assert second.action == SendDocument(5, b"\x00\x01", "data.json")
        await outbox.mark_blocked(session, assembly.id, 5, "Forbidden: bot was blocked by the user")
    async with db.transaction() as session:
        statuses = (
            (
                await session.execute(
                    select(OutboxMessage.status).where(OutboxMessage.chat_id == 5).order_by(OutboxMessage.id)
                )
            )
            .scalars()
            .all()
        )
        assert statuses == [outbox.SENT, outbox.BLOCKED]
        person = (await session.execute(select(ParticipantRow))).scalar_one()
        assert person.blocked_at is not None
        assert await outbox.earliest_due(session, assembly.id) == later
