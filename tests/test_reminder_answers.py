"""Later reminders follow the RSVP answer given through the real buttons: nothing after "can't come",
"see you" after "coming", and either answer can still be changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import FlowHarness, add_confirmed, mirror_sessions
from sqlalchemy import select

from bot.jobs.reminders import ReminderJob
from bot.store.models import OutboxMessage, ReminderDelivery
from bot.store.reminders import NOT_COMING, QUEUED

pytestmark = pytest.mark.both_backends  # the job reads answers and deliveries with store queries


async def _reminders(flow: FlowHarness) -> dict[int, list[OutboxMessage]]:
    async with flow.db.transaction() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        by_chat: dict[int, list[OutboxMessage]] = {}
        for row in rows:
            if row.topic == "reminder:s1":
                by_chat.setdefault(row.chat_id, []).append(row)
        return by_chat


async def _statuses(flow: FlowHarness, participant_id: int) -> dict[int, str]:
    async with flow.db.transaction() as session:
        query = select(ReminderDelivery).where(ReminderDelivery.participant_id == participant_id)
        return {d.offset_minutes: d.status for d in (await session.execute(query)).scalars()}


def _buttons(row: OutboxMessage) -> list[str]:
    return [button["data"] for line in row.payload.get("buttons", []) for button in line]


async def test_later_reminders_respect_the_answer_and_answers_can_change(flow: FlowHarness) -> None:
    assembly = flow.kit.assembly.model_copy(update={"sessions": flow.kit.assembly.sessions[:1]})
    starts = assembly.start_of(assembly.sessions[0])
    await mirror_sessions(flow.db, assembly, starts - timedelta(days=30))
    absent = await add_confirmed(flow.db, assembly, 801, "fr")
    coming = await add_confirmed(flow.db, assembly, 802, "en")
    silent = await add_confirmed(flow.db, assembly, 803, "de")
    job = ReminderJob(flow.db, assembly, flow.kit.translations, lambda: None)

    await job(starts - timedelta(days=7))
    first = await _reminders(flow)
    assert set(first) == {absent.chat_id, coming.chat_id, silent.chat_id}
    assert all(_buttons(rows[0]) == ["rsvp:s1:yes", "rsvp:s1:no"] for rows in first.values())

    flow.clock.set(starts - timedelta(days=6))
    await flow.send(flow.press(flow.sender(801, "fr"), "rsvp:s1:no"))
    await flow.send(flow.press(flow.sender(802, "en"), "rsvp:s1:yes"))

    await job(starts - timedelta(days=1))
    second = await _reminders(flow)
    assert len(second[absent.chat_id]) == 1, "no reminder after 'can't come'"
    assert (await _statuses(flow, absent.id))[24 * 60] == NOT_COMING
    see_you = second[coming.chat_id][-1].payload
    assert "Will you come?" not in see_you["text"]
    assert see_you["text"].splitlines()[-1] == (
        "See you there! If your plans change, please tell us with the button below."
    )
    assert _buttons(second[coming.chat_id][-1]) == ["rsvp:s1:no"]
    asked = second[silent.chat_id][-1].payload["text"]
    assert asked.splitlines()[-1] == "Kommen Sie? Bitte antworten Sie mit den Knöpfen unten."

    # Both change their minds: the one who could not come now can, the other cannot after all.
    flow.clock.set(starts - timedelta(hours=12))
    await flow.send(flow.press(flow.sender(801, "fr"), "rsvp:s1:yes"))
    changed = await flow.send(flow.press(flow.sender(802, "en"), "rsvp:s1:no"))
    assert any("cannot come" in getattr(action, "text", "") for action in changed)

    await job(starts - timedelta(hours=2))
    last = await _reminders(flow)
    assert len(last[coming.chat_id]) == 2, "no reminder after changing to 'can't come'"
    back = last[absent.chat_id][-1]
    assert back.payload["text"].splitlines()[-1].startswith("À bientôt !")
    assert _buttons(back) == ["rsvp:s1:no"]
    assert (await _statuses(flow, absent.id))[120] == QUEUED
