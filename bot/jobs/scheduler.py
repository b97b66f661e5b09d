"""The bot's one APScheduler 3.11 `AsyncIOScheduler`, in the assembly's timezone, driving store-driven jobs.

Jobs keep no state of their own: each run reads what is due from the store and acts on it, so a
restart loses nothing and the in-memory job store is enough (the truth lives in our tables, not in
pickled jobs). A job receives the injected clock's `now`, so tests drive time without sleeping.

With several workers, each runs the same schedule, aligned on the same due times, and a job's run
for one due time is claimed (`JobClaims`): whichever worker claims it runs it, the others skip it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta, tzinfo

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.metrics import job_started
from flows.ports import Clock

log = logging.getLogger(__name__)

Job = Callable[[datetime], Awaitable[None]]
"""A unit of timed work; it gets the current time and finds its work in the store."""

JobClaims = Callable[[str, datetime], contextlib.AbstractAsyncContextManager[bool]]
"""The run of a job (by name) for one due time: True inside for the one worker that runs it."""

Slot = Callable[[datetime], datetime]
"""The due time a run started at a given (real) time belongs to."""

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""Where periodic schedules start, so every worker's runs fall on the same due times."""


def _interval_slot(interval: timedelta) -> Slot:
    return lambda now: EPOCH + interval * ((now - EPOCH) // interval)


def _daily_slot(at: time, zone: tzinfo) -> Slot:
    def slot(now: datetime) -> datetime:
        local = now.astimezone(zone)
        today = datetime.combine(local.date(), at, zone)
        return today if today <= local else today - timedelta(days=1)

    return slot


def _report_lag(event: JobSubmissionEvent) -> None:
    """How late a timed job starts against its planned time, for the operator's metrics."""
    job_started(event.job_id, max(event.scheduled_run_times))


def waking(work: Callable[[datetime], Awaitable[int]], wake: Callable[[], None]) -> Job:
    """`work`, which returns how many things it queued, as a job that wakes the sender when that is
    any: the messages then leave at once instead of at the sender's next look at the outbox."""

    async def job(now: datetime) -> None:
        if await work(now):
            wake()

    return job


class Scheduler:
    """Register jobs by name: `every` (polling the store), `daily` (a local hour), `once` (a moment).

    Every job runs at most one instance at a time, and missed runs are coalesced into one, so a
    slow store or a suspended laptop never piles runs up.
    """

    def __init__(self, zone: tzinfo, clock: Clock, claims: JobClaims | None = None) -> None:
        """`claims`: with several workers, how one of them claims a run (None: this one runs all)."""
        self.clock, self.claims = clock, claims
        self._jobs: dict[str, Job] = {}
        self._slots: dict[str, Slot] = {}
        self._periodic: list[str] = []
        self._running: set[asyncio.Task[object]] = set()
        self._aps = AsyncIOScheduler(
            timezone=zone,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._aps.add_listener(_report_lag, EVENT_JOB_SUBMITTED)

    def every(self, name: str, interval: timedelta, job: Job) -> None:
        """Run `job` every `interval`, and once in `catch_up()` at start-up."""
        trigger = IntervalTrigger(seconds=interval.total_seconds(), start_date=EPOCH)
        self._add(name, job, trigger, _interval_slot(interval))
        self._periodic.append(name)

    def daily(self, name: str, at: time, job: Job) -> None:
        """Run `job` every day at the local time `at`, in the assembly's timezone."""
        trigger = CronTrigger(hour=at.hour, minute=at.minute, second=at.second, timezone=self._aps.timezone)
        self._add(name, job, trigger, _daily_slot(at, self._aps.timezone))

    def once(self, name: str, when: datetime, job: Job) -> None:
        """Run `job` once at `when` (replacing an earlier plan of the same name); late is still run."""
        self._add(name, job, DateTrigger(run_date=when), lambda _: when)

    def _add(self, name: str, job: Job, trigger: object, slot: Slot) -> None:
        self._jobs[name], self._slots[name] = job, slot
        self._aps.add_job(self._due, trigger, args=[name], id=name, replace_existing=True)

    @property
    def names(self) -> list[str]:
        return list(self._jobs)

    def next_run(self, name: str) -> datetime | None:
        job = self._aps.get_job(name)
        return None if job is None else job.next_run_time

    async def run(self, name: str) -> None:
        """Run one job now with the clock's time; errors are logged and the next run tries again."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await self._jobs[name](self.clock.now())
        except Exception:
            log.exception("scheduled job %s failed; it runs again at its next time", name)
        finally:
            if task is not None:
                self._running.discard(task)

    async def _due(self, name: str) -> None:
        """APScheduler's entry for a run at its due time. A run `stop` cancels ends here, quietly:
        APScheduler would report the cancellation as the job's failure."""
        try:
            await self._claimed(name)
        except asyncio.CancelledError:
            log.info("scheduled job %s stopped with the bot; it runs again at the next start", name)

    async def _claimed(self, name: str) -> None:
        """A run at its due time: this worker's to make unless another worker claimed that time."""
        if self.claims is None:
            await self.run(name)
            return
        due = self._slots[name](datetime.now(UTC))
        try:
            async with self.claims(name, due) as mine:
                if mine:
                    await self.run(name)
        except Exception:
            log.exception("scheduled job %s could not be claimed; it runs again at its next time", name)

    async def catch_up(self) -> None:
        """Run every periodic job once, in the order registered: what fell due while the bot was down
        (with several workers, unless another one ran it for the current due time)."""
        for name in self._periodic:
            await self._claimed(name)

    def start(self) -> None:
        self._aps.start()

    async def stop(self) -> None:
        """No new runs, and the runs under way cancelled and awaited: none outlives the store it uses
        (a cancelled run is taken up again at the next start, as after a crash)."""
        if self._aps.running:
            self._aps.shutdown(wait=False)
        running = [task for task in self._running if task is not asyncio.current_task()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
