"""Answering the draw's offer edits the message to keep what the person was told and add their answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import FlowHarness

from bot.store.lottery import DrawRecord, offer_seat, record_draw
from bot.store.participants import SqlStore
from flows.actions import EditMessage, SendMessage
from flows.events import Text
from flows.status import ParticipantStatus


async def _drawn(flow: FlowHarness, user_id: int, language: str) -> int:
    """A registered person drawn by lot and asked to confirm within a week; returns the draw's id."""
    now = flow.clock.now()
    async with flow.db.transaction() as session:
        store = SqlStore(session, flow.kit.assembly.id)
        person = await store.add_participant(user_id, user_id, language)
        await store.registrations.set_status(person.id, ParticipantStatus.SELECTED, now)
        draw = DrawRecord(
            seats=1,
            seed=1,
            requested_algorithm="maximin",
            algorithm="maximin",
            pool_size=1,
            report="",
            input_hash="",
            versions="",
            gap=None,
            transparency={},
        )
        selection = await record_draw(session, flow.kit.assembly.id, draw, now)
        offer_seat(session, selection, person.id, now, now + timedelta(days=7))
        return selection


async def test_answer_keeps_the_offer_text_and_adds_the_outcome(flow: FlowHarness) -> None:
    selection = await _drawn(flow, 901, "en")
    actions = await flow.send(flow.press(flow.sender(901, "en"), f"cf:{selection}:yes", message_id=42))
    (edit,) = [a for a in actions if isinstance(a, EditMessage)]
    assert edit.message_id == 42
    offer, outcome = edit.text.split("\n\n")
    assert offer.startswith("Good news: you have been drawn by lot for the Brussels Citizens' Assembly")
    assert "Please confirm by February 8, 2027" in offer
    assert outcome == "✅ You answered: I will take part."
    assert edit.buttons == ()
    assert [a.text for a in actions if isinstance(a, SendMessage)] == [
        "Thank you! Your seat is confirmed. I will remind you of each session."
    ]


async def test_declining_and_answering_late_are_kept_in_the_message_too(flow: FlowHarness) -> None:
    declined = await _drawn(flow, 902, "fr")
    actions = await flow.send(flow.press(flow.sender(902, "fr"), f"cf:{declined}:no", message_id=7))
    (edit,) = [a for a in actions if isinstance(a, EditMessage)]
    assert edit.text.startswith("Bonne nouvelle")
    assert edit.text.endswith("❌ Vous avez répondu : je ne peux pas participer.")

    late = await _drawn(flow, 903, "de")
    flow.clock.set(flow.clock.now() + timedelta(days=8))
    actions = await flow.send(flow.press(flow.sender(903, "de"), f"cf:{late}:yes", message_id=8))
    (edit,) = [a for a in actions if isinstance(a, EditMessage)]
    assert edit.text.startswith("Gute Nachricht")
    assert edit.text.endswith("⌛ Ihre Antwort kam nach der Frist.")


@pytest.mark.parametrize(("language", "typed"), [("en", "yes"), ("nl", "Ja"), ("ar", "نعم")])
async def test_a_typed_yes_takes_the_seat(flow: FlowHarness, language: str, typed: str) -> None:
    await _drawn(flow, 904, language)
    actions = await flow.send(Text(flow.sender(904, language), typed))
    tr = flow.kit.translations.for_language(language)
    assert [a.text for a in actions if isinstance(a, SendMessage)] == [
        tr.gettext("Thank you! Your seat is confirmed. I will remind you of each session.")
    ]
    again = await flow.send(Text(flow.sender(904, language), typed))
    assert tr.gettext("Sorry, I did not understand that.") in again[0].text  # no seat waits any more
