"""The running bot against bare echo bots, on the same emulator: processing rate, button answers
under a burst of presses, start-up time and idle memory.

Throughput and the burst run the bot in this process (as the echo bots are) against the emulator and
its simulated people in another (`bench.remote`), so the bot's event loop is its own, as against real
Telegram; start-up and memory run each bot as its own process. Not a test: figures depend on the
machine and its load (compare ratios and medians from one run).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from subprocess import DEVNULL
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.echo import ECHO, Counter, load
from bench.remote import FIRST_USER, LANGUAGES, TOKEN, RemoteEmulator, ended
from bot.adapters.clock import ManualClock
from bot.bootstrap import App, build_app, build_core
from bot.definition import load_assembly
from bot.emulator import Emulator
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store.database import Database
from bot.store.models import AttendanceRow, InboundUpdate, ParticipantRow, PollAnswerRow
from bot.store.participants import SqlStore
from bot.store.sessions import session_row
from flows.polls.compose import spec_of

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("TEST_PG_ADMIN", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


@contextlib.asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """A fresh, empty store URL: an SQLite file, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite'}"
        return
    name = f"assembly_bench_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def _scalar(db: Database, query: Any) -> Any:
    async with db.reading() as session:
        return (await session.execute(query)).scalar_one()


async def _count(db: Database, query: object) -> int:
    return int(await _scalar(db, query))


async def _until(condition: object, timeout: float, every: float = 0.02) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():  # type: ignore[operator]  # noqa: ASYNC110 (polls the store)
            await asyncio.sleep(every)


async def _first_poll(emulator: RemoteEmulator) -> float:
    """Wall-clock time the bot's first getUpdates arrived: its start-up is over (timed apart, in
    `process`), and from there both bots' clocks run on handling alone."""
    at = (await emulator.ask("first_poll"))["at"]
    if at is None:
        raise RuntimeError("the bot never polled")
    return float(at)


async def echo_rate(runtime: str, updates: int, timeout: float = 120.0) -> float:
    """Messages a second a bare echo bot handles, `updates` of them queued before it starts, from
    its first getUpdates until the last has reached its handler."""
    async with RemoteEmulator() as emulator:
        await emulator.ask("texts", count=updates, text="/help")
        load(runtime)
        counter = Counter(updates)
        task = asyncio.create_task(ECHO[runtime](TOKEN, emulator.url, counter))
        try:
            async with asyncio.timeout(timeout):
                await counter.done.wait()
            done = time.time()
            rate = updates / (done - await _first_poll(emulator))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(30):
                    await counter.replied.wait()
            return rate
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _started(url: str, api_url: str, runtime: str, clock: ManualClock | None = None) -> App:
    app = await build_app(
        build_core(load_assembly(EXAMPLE_ASSEMBLY), url, clock=clock),
        token=TOKEN,
        api_url=api_url,
        runtime=runtime,
        poll_timeout=1,
    )
    await app.runner.prepare()
    return app


async def assembly_rate(runtime: str, url: str, updates: int, timeout: float = 300.0) -> float:
    """Updates a second the assembly bot records, handles and queues replies for (`/help` from as
    many people, each on first contact), from its first getUpdates (after catching up timed work,
    such as a digest missed while it was down) until the last is processed; sending is not waited
    for."""
    async with RemoteEmulator() as emulator:
        app = await _started(url, emulator.url, runtime)
        try:
            await emulator.ask("texts", count=updates, text="/help")
            processed = select(func.count()).where(InboundUpdate.processed_at.is_not(None))
            task = asyncio.create_task(app.runner.run())
            try:
                # The bench's own look at the store shares the bot's event loop: seldom, and the end
                # is read from the store (when the last update was marked processed), not from it.
                await _until(lambda: _done(app.db, processed, updates), timeout, every=0.25)
                last = await _scalar(app.db, select(func.max(InboundUpdate.processed_at)))
                return updates / (last.timestamp() - await _first_poll(emulator))
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        finally:
            await app.close()


async def _done(db: Database, query: object, expected: int) -> bool:
    return await _count(db, query) >= expected


@dataclass(frozen=True)
class Burst:
    """Button presses on a ballot within about a second: press-to-answer times and what was lost."""

    presses: int
    latencies: list[float]
    votes: int

    @property
    def p50_ms(self) -> float:
        return 1000 * statistics.median(self.latencies) if self.latencies else float("inf")

    @property
    def p99_ms(self) -> float:
        if len(self.latencies) < self.presses:
            return float("inf")
        return 1000 * sorted(self.latencies)[max(0, int(0.99 * self.presses) - 1)]

    @property
    def lost(self) -> int:
        return self.presses - self.votes

    @property
    def unanswered(self) -> int:
        return self.presses - len(self.latencies)


async def _ballot_room(app: App, voters: int) -> int:
    """`voters` people checked in to session 1 and one live session poll for them: its id."""
    assembly = app.core.kit.assembly
    start = assembly.start_of(assembly.sessions[0]).astimezone(UTC)
    users = range(FIRST_USER, FIRST_USER + voters)
    async with app.db.transaction() as session:
        session.add_all(
            ParticipantRow(
                telegram_user_id=user,
                chat_id=user,
                language=LANGUAGES[i % 5],
                assembly_id=assembly.id,
                status="confirmed",
            )
            for i, user in enumerate(users)
        )
        await session.flush()
        ids = list((await session.execute(select(ParticipantRow.id).order_by(ParticipantRow.id))).scalars())
        s1 = await session_row(session, assembly.id, assembly.sessions[0].id)
        assert s1 is not None
        session.add_all(
            AttendanceRow(
                session_id=s1.id, participant_id=pid, checked_in_at=start, late=False, method="code"
            )
            for pid in ids
        )
        template = assembly.poll("car-free-2035")
        assert template is not None
        poll = await SqlStore(session, assembly.id).polls.create(
            spec_of(template),
            assembly.sessions[0].id,
            table=None,
            facilitator_id=ids[0],
            recipients=ids,
            now=start + timedelta(minutes=10),
            closes_at=None,
        )
    return poll.id


async def _presses(
    emulator: RemoteEmulator, data: str, presses: int, *, seconds: float, timeout: float, polls: int
) -> list[float]:
    """Once the bot polls (more getUpdates than `polls`), `presses` people press `data` within
    `seconds`: the seconds from each press to its answer (the plenary presses once the bot is up)."""

    async def polling() -> bool:
        return int((await emulator.ask("calls", method="getUpdates"))["count"]) > polls

    await _until(polling, timeout)
    answers = await emulator.ask("burst", count=presses, data=data, seconds=seconds, timeout=timeout)
    return list(answers["latencies"])


async def _ballots(emulator: RemoteEmulator, data: str, presses: int) -> int:
    """Everyone holds a ballot, Telegram's limits apply from now: getUpdates calls so far."""
    await emulator.ask("ballots", count=presses, data=data)
    await emulator.ask("limits", enabled=True)
    return int((await emulator.ask("calls", method="getUpdates"))["count"])


async def vote_burst(
    runtime: str, url: str, presses: int, seconds: float = 1.0, timeout: float = 600.0
) -> Burst:
    """`presses` people press a ballot button within `seconds`, under Telegram's real limits. A vote
    counts as lost when it is not recorded within `timeout` (on a loaded machine processing a
    thousand presses takes minutes: the timeout is long so that "lost" means lost, not late)."""
    assembly = load_assembly(EXAMPLE_ASSEMBLY)
    clock = ManualClock(assembly.start_of(assembly.sessions[0]).astimezone(UTC) + timedelta(minutes=10))
    async with RemoteEmulator() as emulator:
        app = await _started(url, emulator.url, runtime, clock)
        try:
            poll_id = await _ballot_room(app, presses)
            data = f"pv:{poll_id}:c:0"
            polls = await _ballots(emulator, data, presses)
            task = asyncio.create_task(app.runner.run())
            try:
                latencies = await _presses(
                    emulator, data, presses, seconds=seconds, timeout=timeout, polls=polls
                )
                processed = select(func.count()).where(InboundUpdate.processed_at.is_not(None))
                with contextlib.suppress(TimeoutError):
                    await _until(lambda: _done(app.db, processed, presses), timeout)
                votes = await _count(app.db, select(func.count()).select_from(PollAnswerRow))
                return Burst(presses, latencies, votes)
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        finally:
            await app.close()


async def echo_burst(runtime: str, presses: int, seconds: float = 1.0, timeout: float = 600.0) -> Burst:
    """The same burst answered by the bare echo bot: what the framework alone allows on this machine."""
    async with RemoteEmulator() as emulator:
        polls = await _ballots(emulator, "echo", presses)
        load(runtime)
        task = asyncio.create_task(ECHO[runtime](TOKEN, emulator.url, Counter()))
        try:
            latencies = await _presses(
                emulator, "echo", presses, seconds=seconds, timeout=timeout, polls=polls
            )
            return Burst(presses, latencies, votes=presses)  # nothing to record: nothing lost
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass(frozen=True)
class Process:
    """One bot process: seconds from spawn to the arrival of its first getUpdates, resident MiB once idle."""

    startup: float
    rss_mb: float


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def process(kind: str, runtime: str, url: str, idle: float = 2.0, timeout: float = 300.0) -> Process:
    """Start the assembly bot (`kind` "assembly", on a migrated store at `url`) or a bare echo bot
    ("echo") as its own process against an emulator; measure, then stop it."""
    module = (
        ["bot.cli", "run", "--runtime", runtime]
        if kind == "assembly"
        else ["bench.echo", "--runtime", runtime]
    )
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_URL": url,
        "POLL_TIMEOUT": "1",
        "ASSEMBLY_CONFIG": str(EXAMPLE_ASSEMBLY),
    }
    async with Emulator(TOKEN) as emulator:
        env["TELEGRAM_API_URL"] = emulator.url
        start = time.monotonic()
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", *module, cwd=ROOT, env=env, stdout=DEVNULL, stderr=DEVNULL
        )
        try:

            async def polling() -> bool:
                if child.returncode is not None:
                    raise RuntimeError(f"the {kind} bot exited with {child.returncode}")
                return bool(emulator.poll_arrivals)

            await _until(polling, timeout)
            # When the call arrives, not when its long poll returns (a second later, for both bots).
            first = emulator.poll_arrivals[0]
            await asyncio.sleep(idle)
            return Process(first - start, _rss_mb(child.pid))
        finally:
            child.terminate()
            await ended(child)
