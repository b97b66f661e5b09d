"""The bot's one APScheduler instance: jobs get the injected clock's time and survive a failing run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.adapters.clock import ManualClock
from bot.jobs.scheduler import Scheduler

BRUSSELS = ZoneInfo("Europe/Brussels")


async def test_periodic_job_runs_with_injected_time_and_outlives_a_failure() -> None:
    clock = ManualClock(datetime(2027, 3, 5, 8, 31, tzinfo=UTC))
    seen: list[datetime] = []
    enough = asyncio.Event()

    async def job(now: datetime) -> None:
        seen.append(now)
        if len(seen) == 1:
            raise RuntimeError("the store was briefly unavailable")
        if len(seen) >= 3:
            enough.set()

    scheduler = Scheduler(BRUSSELS, clock)
    scheduler.every("reminders", timedelta(seconds=0.05), job)
    await scheduler.catch_up()  # at start-up, before anything is sent
    assert seen == [clock.now()]
    scheduler.start()
    try:
        clock.advance(timedelta(days=1))
        await asyncio.wait_for(enough.wait(), 5)
    finally:
        await scheduler.stop()
    assert seen[1:3] == [datetime(2027, 3, 6, 8, 31, tzinfo=UTC)] * 2


async def test_daily_job_is_planned_at_the_local_hour_and_once_job_runs_once() -> None:
    clock = ManualClock(datetime(2027, 3, 5, 8, 31, tzinfo=UTC))
    ran = asyncio.Event()

    async def digest(now: datetime) -> None:  # pragma: no cover - it fires tomorrow at 08:00
        pass

    async def close_poll(now: datetime) -> None:
        ran.set()

    scheduler = Scheduler(BRUSSELS, clock)
    scheduler.daily("digest", time(8, 0), digest)
    scheduler.once("close-poll-7", datetime.now(BRUSSELS) + timedelta(seconds=0.05), close_poll)
    scheduler.start()
    try:
        planned = scheduler.next_run("digest")
        assert planned is not None
        assert (planned.hour, planned.minute, str(planned.tzinfo)) == (8, 0, "Europe/Brussels")
        await asyncio.wait_for(ran.wait(), 5)
    finally:
        await scheduler.stop()
    assert scheduler.next_run("close-poll-7") is None
    assert scheduler.names == ["digest", "close-poll-7"]
