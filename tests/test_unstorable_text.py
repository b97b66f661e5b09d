"""Text a database cannot store (NUL characters, lone surrogates) is cleaned where events are made, so
the person gets the normal answer and nothing typed is lost; and no database error ever carries what
was typed into an exception or the log."""

from __future__ import annotations

import logging
from typing import cast

import pytest
from conftest import BOT_ID, FlowHarness, add_confirmed, mirror_sessions
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from bot.store import updates
from bot.store.database import Database
from bot.store.models import OutboxMessage, RsvpRow
from bot.telegram.api import TelegramApi
from bot.telegram.runner import Runner
from bot.telegram.sender import OutboxSender
from flows.events import ButtonPress, Event, Sender, Text, storable
from flows.polls.votes import Choice, Written, all_of

NOTE = "Dialysis on Saturdays, call +32470111222"


def test_storable_text_drops_nul_and_replaces_lone_surrogates() -> None:
    assert storable("a\x00b\ud800c") == "ab\ufffdc"
    assert Text(Sender(1, 1, "Jo\x00"), "x\x00y").text == "xy"
    assert Text(Sender(1, 1, "Jo\x00"), "x").sender.first_name == "Jo"
    assert storable("مرحبا 👋 ok") == "مرحبا 👋 ok"


@pytest.mark.both_backends
async def test_a_nul_in_a_reason_gets_the_normal_answer_and_logs_nothing_personal(
    flow: FlowHarness, caplog: pytest.LogCaptureFixture
) -> None:
    assembly = flow.kit.assembly
    await mirror_sessions(flow.db, assembly, flow.clock.now())
    person = await add_confirmed(flow.db, assembly, 3001, "en")
    sender = Sender(person.user_id, person.chat_id, "Noor", "en")
    idle_sender = OutboxSender(flow.db, cast(TelegramApi, None), assembly.id)  # never run: nothing is sent
    runner = Runner(flow.db, cast(TelegramApi, None), flow.kit, idle_sender, bot_id=BOT_ID)

    async def through_the_loop(update_id: int, event: Event) -> list[str]:
        async with flow.db.transaction() as session:
            await updates.record(session, BOT_ID, [updates.Received(update_id, person.chat_id, event)])
        await runner.drain()  # the loop's step, with its error handling
        async with flow.db.transaction() as session:
            query = select(OutboxMessage.payload).where(OutboxMessage.update_id == update_id)
            return [p["text"] for p in (await session.execute(query)).scalars() if "text" in p]

    caplog.set_level(logging.DEBUG)
    await through_the_loop(1, ButtonPress(sender, "rsvp:s2:no", 1, "q1"))
    answer = await through_the_loop(2, Text(sender, NOTE.replace("Saturdays", "Satur\x00days")))
    assert answer == ["Thank you, we have noted your reason."]
    async with flow.db.transaction() as session:
        assert await session.scalar(select(RsvpRow.reason)) == NOTE
    for secret in ("Dialysis", "32470111222", "Noor"):
        assert secret not in caplog.text


@pytest.mark.both_backends
async def test_a_database_error_never_shows_the_parameters(db: Database) -> None:
    with pytest.raises(DBAPIError) as error:
        async with db.transaction() as session:
            await session.execute(
                RsvpRow.__table__.insert().values(session_id=-1, participant_id=-1, answer=NOTE)
            )
    assert "Dialysis" not in str(error.value)
    assert "hidden" in str(error.value)


def test_a_ballot_of_the_wrong_kind_is_reported_without_what_it_says() -> None:
    """Such an error reaches the log through the update loop: it names kinds, never answers."""
    with pytest.raises(TypeError) as error:
        all_of(Choice, [Choice(0), Written(NOTE)])
    assert "Dialysis" not in str(error.value)
    assert "Written" in str(error.value)
