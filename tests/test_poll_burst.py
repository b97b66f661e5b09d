"""A burst of answers at once (120; 400 in the load step), through the runner's update path: none is lost."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from conftest import BOT_ID, TOKEN, mirror_sessions
from polls_room import S1_START
from sqlalchemy import func, select

from bot.adapters.clock import ManualClock
from bot.bootstrap import build_kit, make_api
from bot.store import updates
from bot.store.database import Database
from bot.store.models import AttendanceRow, InboundUpdate, ParticipantRow, PollAnswerRow
from bot.store.participants import SqlStore
from bot.store.sessions import session_row
from bot.telegram.runner import Runner
from bot.telegram.sender import OutboxSender
from flows.assembly import Assembly
from flows.events import ButtonPress, Sender
from flows.polls.compose import spec_of

pytestmark = pytest.mark.both_backends  # concurrent writers


@pytest.mark.parametrize("voters", [120, pytest.param(400, marks=pytest.mark.load)])
async def test_a_burst_of_answers_is_stored_whole(db: Database, assembly: Assembly, voters: int) -> None:
    clock = ManualClock(S1_START + timedelta(minutes=10))
    await mirror_sessions(db, assembly, clock.now())
    async with db.transaction() as session:
        session.add_all(
            ParticipantRow(
                telegram_user_id=user_id,
                chat_id=user_id,
                language="fr",
                assembly_id=assembly.id,
                status="confirmed",
            )
            for user_id in range(10_000, 10_000 + voters)
        )
        await session.flush()
        ids = list((await session.execute(select(ParticipantRow.id))).scalars())
        s1 = await session_row(session, assembly.id, "s1")
        assert s1 is not None
        session.add_all(
            AttendanceRow(
                session_id=s1.id, participant_id=pid, checked_in_at=S1_START, late=False, method="code"
            )
            for pid in ids
        )
        template = assembly.poll("car-free-2035")
        assert template is not None
        poll = await SqlStore(session, assembly.id).polls.create(
            spec_of(template),
            "s1",
            table=None,
            facilitator_id=ids[0],
            recipients=ids,
            now=clock.now(),
            closes_at=None,
        )
    burst = [
        updates.Received(
            update_id=i + 1,
            chat_id=user_id,
            event=ButtonPress(Sender(user_id, user_id), f"pv:{poll.id}:c:{i % 3}", 1, f"q{i}"),
        )
        for i, user_id in enumerate(range(10_000, 10_000 + voters))
    ]
    api = make_api("aiogram", TOKEN, "http://127.0.0.1:9")  # never called: nothing is sent here
    kit = build_kit(assembly, clock=clock)
    runner = Runner(db, api, kit, OutboxSender(db, api, assembly.id), bot_id=BOT_ID)
    try:
        async with db.transaction() as session:
            await updates.record(session, BOT_ID, burst)
        lanes = asyncio.gather(*(runner._lane(lane) for lane in range(runner.lanes)))
        for item in burst:
            runner.kick(item.chat_id)

        async def pending() -> int:
            async with db.transaction() as session:
                query = select(func.count()).where(InboundUpdate.processed_at.is_(None))
                return int((await session.execute(query)).scalar_one())

        async with asyncio.timeout(120):
            while await pending():  # noqa: ASYNC110 (the runner's lanes own the work; the store tells when done)
                await asyncio.sleep(0.1)
        async with db.transaction() as session:
            stored = list((await session.execute(select(PollAnswerRow.ballot))).scalars())
            errors = (
                await session.execute(select(func.count()).where(InboundUpdate.error.is_not(None)))
            ).scalar_one()
    finally:
        lanes.cancel()
        await asyncio.gather(lanes, return_exceptions=True)
        await api.close()
    assert errors == 0
    assert len(stored) == voters
    assert sorted(b["c"] for b in stored) == sorted(i % 3 for i in range(voters))
