"""Facilitators and organisers are staff: not counted as participants, not seated, not sent polls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import FlowHarness, add_confirmed, mirror_sessions
from polls_room import PEOPLE, S1_START, ballots_sent, check_in, join, open_room, start, texts

from bot.store.database import Database
from bot.store.read.digest import statuses
from bot.store.sessions import SqlSessions
from flows.events import Command
from flows.ports import Presence
from flows.seating import table_count


@pytest.mark.both_backends
async def test_staff_are_not_in_contact_counts(flow: FlowHarness, db: Database) -> None:
    await flow.send(Command(flow.sender(700, "fr"), "start"))  # a resident who only said hello
    await join(flow, "facilitator", 900)
    await join(flow, "organiser", 901)
    async with db.transaction() as session:
        assert await statuses(session, flow.kit.assembly.id) == {"contact": 1}


async def test_seven_people_at_six_fixed_tables_sit_at_tables_big_enough_for_results(
    flow: FlowHarness,
) -> None:
    assembly = flow.kit.assembly
    assert (assembly.tables.count, assembly.tables.min_result) == (6, 3)
    await mirror_sessions(flow.db, assembly, flow.clock.now())
    flow.clock.set(S1_START + timedelta(minutes=10))
    await check_in(flow.db, assembly, (*PEOPLE, (807, "nl", "woman")))
    await join(flow, "facilitator", 900)
    organiser = await join(flow, "organiser", 901)
    (overview,) = texts(await flow.send(Command(organiser, "tables")), organiser.chat_id)
    sizes = sorted(line.split(": ")[1].split(" – ")[0] for line in overview.splitlines()[1:])
    assert sizes == ["3 participants", "4 participants"]
    assert table_count(7, 8, 6, smallest=3) == 2
    assert table_count(2, 8, 6, smallest=3) == 1
    assert table_count(50, 8, None, smallest=3) == 7


async def test_a_session_poll_is_not_sent_to_staff_even_when_checked_in(flow: FlowHarness) -> None:
    facilitator, _, people = await open_room(flow)
    # An organiser who is also a confirmed participant, and checked in at the session.
    staff = await add_confirmed(flow.db, flow.kit.assembly, 902, "de")
    async with flow.db.transaction() as session:
        await SqlSessions(session, flow.kit.assembly.id).check_in(
            staff.id, "s1", Presence(S1_START + timedelta(minutes=5), late=False, method="code")
        )
    await join(flow, "organiser", 902, "de")
    _, started = await start(flow, facilitator, "car-free-2035")
    assert set(ballots_sent(started)) == {uid for uid, _, _ in PEOPLE}
    assert len(people) == len(PEOPLE)
