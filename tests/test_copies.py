"""A multiple-choice question sent again: the older copy loses its buttons, a tap on it never changes
the answer, and an edit Telegram refuses is recorded as failed, never as sent."""

from __future__ import annotations

import logging

import pytest
from conftest import TOKEN, FlowHarness
from sqlalchemy import select

from bot.bootstrap import make_api
from bot.emulator import Emulator
from bot.store import outbox
from bot.store.database import Database
from bot.store.models import OutboxMessage
from bot.store.participants import SqlStore
from bot.telegram.sender import OutboxSender
from flows.actions import Action, AnswerButton, EditMessage, SendMessage
from flows.assembly import Assembly
from flows.events import Command


def _button(actions: tuple[Action, ...], label: str) -> str:
    """The data of the button whose label ends with `label`, on the last message or edit that has one."""
    for action in reversed(actions):
        if isinstance(action, SendMessage | EditMessage):
            for row in action.buttons:
                for button in row:
                    if button.text.endswith(label):
                        return button.data
    raise LookupError(label)


@pytest.fixture
async def short(db: Database, assembly: Assembly) -> FlowHarness:
    """Open registration with two questions: the languages (multiple choice), then one more."""
    reg = assembly.registration
    assert reg is not None
    questions = [reg.question("languages"), reg.question("household")]
    single = assembly.model_copy(
        update={"registration": reg.model_copy(update={"open": True, "questions": questions})}
    )
    harness = FlowHarness(db, single)
    await harness.prepare()
    return harness


async def test_an_older_copy_of_a_question_cannot_change_the_answer(short: FlowHarness) -> None:
    flow = short
    person = flow.sender(700, "en")
    language = await flow.send(Command(person, "start", "register"))
    consent = await flow.send(flow.press(person, _button(language, "English"), message_id=1))
    agree = _button(consent, "I agree")
    first = await flow.send(flow.press(person, agree, message_id=2))  # copy A is message 3
    ticked = await flow.send(flow.press(person, _button(first, "French"), message_id=3))
    assert [a.text for a in ticked if isinstance(a, AnswerButton)] == [""]
    (edit,) = [a for a in ticked if isinstance(a, EditMessage)]
    assert edit.message_id == 3

    # A button of the earlier step: the question comes again (copy B, message 4) and A loses its buttons.
    again = await flow.send(flow.press(person, agree, message_id=2))
    retired = [a for a in again if isinstance(a, EditMessage)]
    assert [(a.message_id, a.buttons) for a in retired] == [(3, ())]
    (copy_b,) = [a for a in again if isinstance(a, SendMessage)]
    assert "☑ French" in [b.text for row in copy_b.buttons for b in row]
    both = await flow.send(flow.press(person, _button(again, "Dutch"), message_id=4))
    shown = [b.text for a in both if isinstance(a, EditMessage) for row in a.buttons for b in row]
    assert {"☑ French", "☑ Dutch"} <= set(shown)

    # A tap on the older copy (its buttons still on a screen that missed the edit) changes nothing.
    stale = await flow.send(flow.press(person, _button(first, "French"), message_id=3))
    (notice,) = [a.text for a in stale if isinstance(a, AnswerButton)]
    assert notice == "This is an older copy of the question. Please use the newest one below."
    assert [(a.message_id, a.buttons) for a in stale if isinstance(a, EditMessage)] == [(3, ())]
    stale_done = await flow.send(flow.press(person, _button(first, "Done ✓"), message_id=3))
    assert [a.text for a in stale_done if isinstance(a, AnswerButton)] == [notice]

    await flow.send(flow.press(person, _button(both, "Done ✓"), message_id=4))
    async with flow.db.transaction() as session:
        store = SqlStore(session, flow.kit.assembly.id)
        participant = await store.participant(700)
        assert participant is not None
        answers = await store.registrations.answers(participant.id)
    assert answers["languages"] == ["fr", "nl"]  # what the newest copy showed when Done was pressed


@pytest.mark.parametrize("runtime", ["aiogram", "ptb"])
async def test_an_edit_telegram_refuses_is_logged_and_not_counted_as_sent(
    flow: FlowHarness, emulator: Emulator, runtime: str, caplog: pytest.LogCaptureFixture
) -> None:
    db, mine = flow.db, flow.kit.assembly.id
    person = emulator.user(710, "Ana")
    api = make_api(runtime, TOKEN, emulator.url)
    sender = OutboxSender(db, api, mine)
    try:
        async with db.transaction() as session:
            outbox.enqueue(session, mine, person.id, [SendMessage(person.id, "Question")])
        await sender._drain_chat(person.id)
        sent = person.last.message_id
        async with db.transaction() as session:
            outbox.enqueue(session, mine, person.id, [EditMessage(person.id, sent, "Question")])  # no change
        with caplog.at_level(logging.WARNING, logger="bot.telegram.sender"):
            await sender._drain_chat(person.id)
    finally:
        await api.close()
    async with db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    assert [row.status for row in rows] == ["sent", "failed"]
    assert "not modified" in (rows[1].last_error or "")
    assert rows[1].sent_at is None
    assert any("refused" in record.getMessage() for record in caplog.records)
