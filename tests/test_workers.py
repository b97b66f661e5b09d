"""Several `assembly-bot run` workers: one alone on SQLite, a fleet on PostgreSQL sharing the lead, the
send budget (Redis) and the timed jobs. The three-worker run with kills and faults is
`python -m bench.workers --check` (load work, outside this suite)."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import cast

import pytest
from conftest import TOKEN, FlowHarness, _postgres_database, eventually

from bot.adapters.clock import ManualClock
from bot.bootstrap import build_app, build_core, make_api
from bot.cli.main import main
from bot.emulator import Emulator, SimulatedUser
from bot.jobs.scheduler import Scheduler
from bot.store import outbox
from bot.store.database import Database
from bot.telegram.api import TelegramApi
from bot.telegram.budget import RedisBudget
from bot.telegram.fleet import HANDOVER, LOOK, Fleet, FleetRefused, lock_sqlite_store
from bot.telegram.identity import bot_id_of
from bot.telegram.sender import OutboxSender
from flows.actions import AnswerButton, SendMessage
from flows.assembly import Assembly

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def pg_url(postgresql_template: str) -> AsyncIterator[str]:
    async with _postgres_database(postgresql_template) as url:
        yield url


def test_a_second_worker_on_sqlite_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "assembly.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{store}")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")
    # What the running worker holds:
    first = lock_sqlite_store(f"sqlite+aiosqlite:///{store}", bot_id_of(TOKEN))
    assert first is not None
    try:
        assert main(["run"]) == 1
    finally:
        os.close(first)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        f"assembly-bot: error: another assembly-bot run of this bot already uses {store}; SQLite allows "
        "one worker per bot: stop it, or move to PostgreSQL (DATABASE_URL) to run several"
    ]


async def test_a_worker_without_redis_stays_alone_on_postgresql(pg_url: str, assembly: Assembly) -> None:
    bot_id = _fresh_bot()
    shared = Fleet(Database(pg_url).url, bot_id, shared_budget=True)
    await shared.join()
    try:
        core = build_core(assembly, pg_url)
        with pytest.raises(FleetRefused, match="set REDIS_URL"):
            await build_app(core, token=f"{bot_id}:X", api_url="http://127.0.0.1:9", coordinate=True)
        await core.db.dispose()
        second = Fleet(Database(pg_url).url, bot_id, shared_budget=True)
        await second.join()  # with Redis, workers join each other
        await second.close()
    finally:
        await shared.close()


async def test_a_follower_takes_the_lead_when_the_leader_dies(pg_url: str) -> None:
    url, bot_id = Database(pg_url).url, _fresh_bot()
    leader, follower = (Fleet(url, bot_id, shared_budget=True) for _ in range(2))
    try:
        await leader.lead()
        waiting = asyncio.create_task(follower.lead())
        await asyncio.sleep(2 * LOOK)
        assert not waiting.done()  # one poller at a time
        died = asyncio.get_running_loop().time()
        await leader.close()  # its connections end, as when the process is killed
        await asyncio.wait_for(waiting, 10)
        assert asyncio.get_running_loop().time() - died >= HANDOVER
    finally:
        await leader.close()
        await follower.close()


async def test_a_worker_leads_from_joining_and_still_waits_the_handover(pg_url: str) -> None:
    """The first worker takes the poller lease as it joins (the handover passes while it prepares),
    polls no sooner than the handover after that, and a worker joining later follows."""
    url, bot_id = Database(pg_url).url, _fresh_bot()
    first, second = (Fleet(url, bot_id, shared_budget=True) for _ in range(2))
    try:
        joined = asyncio.get_running_loop().time()
        await first.join()
        await second.join()
        waiting = asyncio.create_task(second.lead())
        await asyncio.wait_for(first.lead(), 10)
        assert asyncio.get_running_loop().time() - joined >= HANDOVER
        await asyncio.sleep(2 * LOOK)
        assert not waiting.done()  # one poller at a time
        waiting.cancel()
    finally:
        await first.close()
        await second.close()


async def test_the_send_budget_is_shared_by_workers_of_one_bot() -> None:
    bot_id = _fresh_bot()
    one, two = (RedisBudget(REDIS, bot_id, 30.0, 1.0, 3) for _ in range(2))
    other_bot = RedisBudget(REDIS, _fresh_bot(), 30.0, 1.0, 3)
    try:
        waits = [await (one if n % 2 else two).wait_ms(1000 + n) for n in range(30)]
        assert waits == [0] * 30  # 30 messages to 30 chats, from two workers
        assert await one.wait_ms(2000) > 0  # the 31st within the second waits, on either worker
        assert await two.wait_ms(2001) > 0
        assert await other_bot.wait_ms(2000) == 0  # another bot has its own budget

        quiet_bot = _fresh_bot()
        chat, twin = (RedisBudget(REDIS, quiet_bot, 30.0, 1.0, 3) for _ in range(2))
        assert [await chat.wait_ms(7), await twin.wait_ms(7), await chat.wait_ms(7)] == [0, 0, 0]
        assert await twin.wait_ms(7) > 0  # a short burst, then about one a second to that chat
        assert await twin.wait_ms(8) == 0
        await chat.close()
        await twin.close()
    finally:
        for budget in (one, two, other_bot):
            await budget.close()


async def test_a_press_is_answered_once_by_whichever_worker_comes_first(
    flow: FlowHarness, emulator: Emulator
) -> None:
    """Behind a webhook any worker records a press and acknowledges it when the bot is crowded; the
    step's answer, queued by any worker, leaves from the leading one: one answer per press, and a
    notice the early acknowledgement left out arrives as a message."""
    bot_id, mine = _fresh_bot(), flow.kit.assembly.id
    api = make_api("aiogram", TOKEN, emulator.url)
    follower, leader = (
        OutboxSender(flow.db, api, mine, budget=RedisBudget(REDIS, bot_id, 30.0, 1.0, 3)) for _ in range(2)
    )
    ana = emulator.user(7301, "Ana")
    await api.perform(SendMessage(ana.id, "Lunch at noon?"))
    first, second = [await ana.press_data("vote:yes", ana.last.message_id) for _ in range(2)]
    tasks = [asyncio.create_task(follower.run(answers=False)), asyncio.create_task(leader.run())]
    try:
        follower.expect_answer(first, crowded=True)  # the follower recorded it in a crowd
        await eventually(lambda: ana.callback_answers == [""])
        async with flow.db.transaction() as session:
            outbox.enqueue(session, mine, ana.id, [AnswerButton(first, "Vote recorded")])
            outbox.enqueue(session, mine, ana.id, [AnswerButton(second, "Vote recorded")])
        leader.wake_answers()
        await eventually(lambda: len(ana.callback_answers) == 2 and "Vote recorded" in texts(ana))
        follower.expect_answer(second, crowded=True)  # answered already, by the leader
        await eventually(lambda: follower.early.next_deadline() is None)
        await follower.acknowledged()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sender in (follower, leader):
            await sender.budget.close()
        await api.close()
    answers = [call for call in emulator.calls if call.method == "answerCallbackQuery"]
    assert [call.status for call in answers] == [200, 200]  # never a second answer to one press
    assert ana.callback_answers == ["", "Vote recorded"]
    assert texts(ana).count("Vote recorded") == 1


async def test_a_job_runs_once_across_workers_for_one_due_time(pg_url: str, assembly: Assembly) -> None:
    db, bot_id = Database(pg_url), _fresh_bot()
    fleets = [Fleet(db.url, bot_id, shared_budget=True) for _ in range(2)]
    runs: list[datetime] = []

    async def job(now: datetime) -> None:
        runs.append(now)
        await asyncio.sleep(0.2)  # both workers ask while the first still runs

    clock = ManualClock(datetime(2027, 3, 5, 8, 0, tzinfo=UTC))
    schedulers = [Scheduler(assembly.zone, clock, partial(fleet.job_turn, db)) for fleet in fleets]
    for scheduler in schedulers:  # a due time a thousand days long: both runs below fall in it
        scheduler.every("reminders", timedelta(days=1000), job)
    try:
        await asyncio.gather(*(scheduler.catch_up() for scheduler in schedulers))
        await asyncio.gather(*(scheduler.catch_up() for scheduler in schedulers))  # the same due time
        assert len(runs) == 1
    finally:
        for fleet in fleets:
            await fleet.close()
        await db.dispose()


def texts(person: SimulatedUser) -> list[str]:
    return [message.text for message in person.messages]


async def test_a_sender_without_its_store_waits_for_it_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = Database("postgresql://postgres@127.0.0.1:9/gone")  # a store that went away (a restart)
    sender = OutboxSender(db, cast(TelegramApi, None), "any")  # nothing can be read, so nothing sent
    try:
        with caplog.at_level(logging.WARNING):
            sender.workers.kick(42)
            await sender.workers.idle()
    finally:
        await db.dispose()
    assert [(record.levelname, record.getMessage()) for record in caplog.records] == [
        ("WARNING", "chat 42 waits for the store (ConnectionRefusedError)")
    ]


def _fresh_bot() -> int:
    """A bot id of this test's own: locks and budgets are per bot, and other runs share Redis."""
    return uuid.uuid4().int % 10**12
