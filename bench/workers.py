"""Several `assembly-bot run` workers on one PostgreSQL: a worker SIGKILLed midway, then fault storms.

    python -m bench.workers [--check] [--updates 1000] [--users 200] [--workers 3]

Each scenario starts the emulator in this process (Telegram's real flood limits), a fresh
PostgreSQL database and `--workers` real `assembly-bot run` processes sharing it and Redis
(REDIS_URL, default redis://127.0.0.1:6379/0). People send `/help` at about 50 a second:

- kill: the leader (the worker polling) is SIGKILLed when half the updates are sent, and started
  again two seconds later;
- faults: storms of 429 with retry_after, 5xx answers, calls stalled past the client's timeout (not
  carried out), sends carried out whose answer comes after the client's timeout, dropped
  connections, and PostgreSQL restarted midway.

Printed per scenario: updates, replies queued and delivered, duplicates per cause, updates left
unanswered, getUpdates calls that overlapped, the most messages in any one second, the takeover time.
A duplicate is a delivered message no sent outbox row records (each row keeps the id Telegram gave
its message). The Bot API makes one possible where a send was accepted and the worker never
recorded it: the send completed after the client had given up (it then sends again), the worker was
SIGKILLed before recording it, or the store restarted before it could (`IN_FLIGHT`). Any other
duplicate is unexplained.
`--check` exits 1 when a guarantee is broken: an update unanswered or handled twice, a reply lost,
an unexplained duplicate, overlapping getUpdates, more than 30 messages in one second, a takeover
slower than 10 seconds.

PostgreSQL: BENCH_PG_ADMIN (default the test database on 127.0.0.1:5432) and BENCH_PG_RESTART, the
command that restarts it (default: the machine's cluster through pg_ctlcluster, as CI runs it).
Not a test: load work, 5 to 10 minutes at full size on a 2-core machine (150/30: about 3); figures
depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.emulator import Emulator
from bot.store.database import Database
from bot.store.models import InboundUpdate, OutboxMessage

TOKEN = "654321:WORKERS-BENCH"
FIRST_USER = 50_000
LANGUAGES = ("fr", "nl", "en", "de", "ar")
PUSH_RATE = 50.0
"""Updates a second the simulated people send."""
TAKEOVER_LIMIT = 10.0
IN_FLIGHT = 5.0
"""Seconds either side of a PostgreSQL restart within which a send Telegram accepted may lose its
record: the store went away before the worker wrote it, and the chat's turn (a lock on the store)
with it, so another worker may send the row again before the first records it. The Bot API offers
no way to make a send idempotent, so such a window is inherent."""
GAVE_UP = "completed after the client gave up, sent again"
KILLED = "accepted, not yet recorded when the leader was SIGKILLed"
RESTARTED = "in flight while PostgreSQL restarted"
UNEXPLAINED = "unexplained"
STARTUP = 600.0
"""Seconds allowed for the workers to start (imports take long on a loaded machine)."""
SETTLE = 900.0
"""Seconds allowed, once every update is sent, until all are handled and every reply delivered."""
SEND_LIMIT = 30
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def _restart_command() -> list[str]:
    given = os.environ.get("BENCH_PG_RESTART")
    if given:
        return shlex.split(given)
    versions = sorted(os.listdir("/etc/postgresql"))
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"]


@dataclass
class Figures:
    """What one scenario measured; `broken` lists the guarantees it saw broken."""

    name: str
    updates: int = 0
    handled: int = 0
    failed: int = 0
    unanswered: int = 0
    replies: int = 0
    delivered: int = 0
    lost: int = 0
    duplicates: int = 0
    duplicate_causes: dict[str, int] = field(default_factory=dict)
    overlapping_polls: int = 0
    busiest_second: int = 0
    refused_by_limits: int = 0
    kills: int = 0
    takeover_seconds: float | None = None
    faults: dict[str, int] = field(default_factory=dict)
    restarts: int = 0
    per_worker: list[int] = field(default_factory=list)
    seconds: float = 0.0
    broken: list[str] = field(default_factory=list)
    store: str = ""
    unrecorded_at_kill: set[tuple[int, int]] = field(default_factory=set)
    """(chat id, message id) Telegram had accepted that no worker had recorded when the leader died."""
    restarted: list[tuple[float, float]] = field(default_factory=list)
    """When PostgreSQL was restarting: (from, to) in the emulator's clock."""

    def judge(self) -> None:
        unexplained = self.duplicate_causes.get(UNEXPLAINED, 0)
        checks = [
            (self.handled == self.updates, f"{self.updates - self.handled} updates never handled"),
            (self.failed == 0, f"{self.failed} updates failed in a flow"),
            (self.unanswered == 0, f"{self.unanswered} updates without a delivered reply"),
            (self.lost == 0, f"{self.lost} replies never delivered"),
            (unexplained == 0, f"{unexplained} duplicates unexplained"),
            (self.overlapping_polls == 0, f"{self.overlapping_polls} overlapping getUpdates"),
            (self.busiest_second <= SEND_LIMIT, f"{self.busiest_second} messages in one second"),
            (
                self.takeover_seconds is None or self.takeover_seconds <= TAKEOVER_LIMIT,
                f"takeover took {self.takeover_seconds} s",
            ),
        ]
        self.broken += [problem for ok, problem in checks if not ok]


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    name = f"assembly_workers_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield str(make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False))
    finally:
        await wait_for_postgres()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def wait_for_postgres(timeout: float = 60.0) -> None:
    """Until PostgreSQL accepts connections again (after a restart)."""
    url = make_url(PG_ADMIN)
    deadline = time.monotonic() + timeout
    while True:
        ready = await asyncio.create_subprocess_exec(
            "pg_isready", "-q", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)
        )
        if await ready.wait() == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("PostgreSQL did not come back")
        await asyncio.sleep(0.5)


class Worker:
    """One `assembly-bot run` process, its log, and its /metrics listener."""

    def __init__(self, number: int, env: dict[str, str], logs: Path) -> None:
        self.number, self.env, self.logs = number, env, logs
        self.port = 0
        self.process: asyncio.subprocess.Process | None = None
        self.handled_before = 0

    async def start(self) -> None:
        self.port = _free_port()
        log = (self.logs / f"worker{self.number}.log").open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--metrics",
            f"127.0.0.1:{self.port}",
            env=self.env,
            stdout=log,
            stderr=log,
        )

    async def metric(self, http: aiohttp.ClientSession, name: str) -> float | None:
        try:
            async with http.get(f"http://127.0.0.1:{self.port}/metrics") as response:
                body = await response.text()
        except aiohttp.ClientError:
            return None
        for line in body.splitlines():
            if line.startswith(f"{name} "):
                return float(line.split()[1])
        return None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(20):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def _free_port() -> int:
    import socket  # noqa: PLC0415 (only here)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


Event = Callable[[Emulator, list[Worker], Figures], Awaitable[None]]


async def run_scenario(
    name: str, updates: int, users: int, *, workers: int, events: dict[int, Event], logs: Path
) -> Figures:
    """Send `updates` from `users` people while `workers` workers run; `events` fire when that many
    updates have been sent. Returns the figures once every update is handled and every reply sent."""
    figures = Figures(name, updates=updates)
    async with fresh_database() as url, Emulator(TOKEN, bot_username="workers_bench_bot") as emulator:
        figures.store = url
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": emulator.url,
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "POLL_TIMEOUT": "2",
        }
        fleet = [Worker(n, env, logs) for n in range(workers)]
        started = time.monotonic()
        db = Database(url)
        try:
            for worker in fleet:
                await worker.start()
            async with aiohttp.ClientSession() as http:
                await _until(lambda: _all_up(http, fleet), STARTUP)
                people = [emulator.user(FIRST_USER + i, f"P{i}", LANGUAGES[i % 5]) for i in range(users)]
                for sent in range(updates):
                    if sent in events:
                        await events[sent](emulator, fleet, figures)
                    await people[sent % users].send_text("/help")
                    await asyncio.sleep(1 / PUSH_RATE)
                try:
                    await _until(lambda: _settled(emulator, db, updates), SETTLE)
                except TimeoutError:
                    figures.broken.append(f"not settled after {SETTLE:g} s")
                figures.seconds = round(time.monotonic() - started, 1)
                for worker in fleet:
                    handled = await worker.metric(http, "assembly_bot_updates_handled_total")
                    figures.per_worker.append(worker.handled_before + int(handled or 0))
                await _count(figures, emulator, db)
        finally:
            await db.dispose()
            for worker in fleet:
                await worker.stop()
    return figures


async def _until(condition: Callable[[], Awaitable[bool]], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():  # noqa: ASYNC110 (state in other processes)
            await asyncio.sleep(0.2)


async def _all_up(http: aiohttp.ClientSession, fleet: list[Worker]) -> bool:
    leaders = [await worker.metric(http, "assembly_bot_leader") for worker in fleet]
    return all(value is not None for value in leaders) and 1.0 in leaders


async def _settled(emulator: Emulator, db: Database, expected: int) -> bool:
    if emulator.pending_updates():
        return False
    with contextlib.suppress(Exception):
        async with db.reading() as session:
            open_updates = await session.scalar(
                select(func.count()).select_from(InboundUpdate).where(InboundUpdate.processed_at.is_(None))
            )
            pending = await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
            )
            recorded = await session.scalar(select(func.count()).select_from(InboundUpdate))
        return recorded == expected and open_updates == 0 and pending == 0
    return False


async def _count(figures: Figures, emulator: Emulator, db: Database) -> None:
    async with db.reading() as session:
        rows = (
            await session.execute(
                select(InboundUpdate.update_id, InboundUpdate.processed_at, InboundUpdate.error)
            )
        ).all()
        sent = (
            await session.execute(
                select(
                    OutboxMessage.chat_id,
                    OutboxMessage.update_id,
                    OutboxMessage.status,
                    OutboxMessage.telegram_message_id,
                ).where(OutboxMessage.kind != "AnswerButton")
            )
        ).all()
    figures.handled = sum(1 for row in rows if row.processed_at is not None)
    figures.failed = sum(1 for row in rows if row.error is not None)
    answered = {row.update_id for row in sent if row.status == "sent"}
    figures.unanswered = sum(1 for row in rows if row.update_id not in answered)
    figures.replies = len(sent)
    figures.lost = sum(1 for row in sent if row.status != "sent")
    recorded = {(row.chat_id, row.telegram_message_id) for row in sent if row.status == "sent"}
    figures.delivered = sum(len(user.messages) for user in emulator.users)
    unseen = emulator.unseen_messages()
    for user in emulator.users:
        for message in user.messages:
            key = (user.id, message.message_id)
            if key not in recorded:
                figures.duplicates += 1
                cause = _cause(figures, key, message.sent_at, unseen)
                figures.duplicate_causes[cause] = figures.duplicate_causes.get(cause, 0) + 1
    figures.overlapping_polls = emulator.overlapping_polls
    figures.busiest_second = emulator.busiest_second()
    injected_429 = figures.faults.get("429", 0)
    refusals = sum(1 for call in emulator.calls if call.status == 429)
    figures.refused_by_limits = max(0, refusals - injected_429)


def _cause(figures: Figures, message: tuple[int, int], sent_at: float, unseen: set[tuple[int, int]]) -> str:
    """Why a delivered message has no sent row recording it."""
    if message in unseen:
        return GAVE_UP
    if message in figures.unrecorded_at_kill:
        return KILLED
    if any(start - IN_FLIGHT <= sent_at <= end + IN_FLIGHT for start, end in figures.restarted):
        return RESTARTED
    return UNEXPLAINED


async def _kill_leader(emulator: Emulator, fleet: list[Worker], figures: Figures) -> None:
    async with aiohttp.ClientSession() as http:
        leaders = [w for w in fleet if await w.metric(http, "assembly_bot_leader") == 1.0]
        leader = leaders[0]
        leader.handled_before += int(await leader.metric(http, "assembly_bot_updates_handled_total") or 0)
    killed_at = time.monotonic()
    leader.kill()
    assert leader.process is not None
    await leader.process.wait()
    figures.kills += 1
    db = Database(figures.store)
    try:
        async with db.reading() as session:
            query = select(OutboxMessage.chat_id, OutboxMessage.telegram_message_id)
            recorded = set((await session.execute(query.where(OutboxMessage.status == "sent"))).tuples())
    finally:
        await db.dispose()
    # Read after the store: a message a live worker records meanwhile is in neither set.
    figures.unrecorded_at_kill = {
        (user.id, message.message_id)
        for user in emulator.users
        for message in user.messages
        if (user.id, message.message_id) not in recorded
    }

    async def restart_and_time() -> None:
        await asyncio.sleep(2)
        await leader.start()
        # A call the dead leader sent just before the kill may still be read after it; a new leader
        # polls only after HANDOVER (1.5 s), so arrivals in the first half second are the dead one's.
        since = killed_at + 0.5
        await _until(lambda: _polled_since(emulator, since), 30)
        first = min(at for at in emulator.poll_arrivals if at > since)
        figures.takeover_seconds = round(first - killed_at, 2)

    _background.add(asyncio.create_task(restart_and_time()))


async def _polled_since(emulator: Emulator, moment: float) -> bool:
    return any(at > moment for at in emulator.poll_arrivals)


_background: set[asyncio.Task[None]] = set()


def _storm(method: str, kind: str, count: int, delay: float = 0.0) -> Event:
    async def inject(emulator: Emulator, fleet: list[Worker], figures: Figures) -> None:
        emulator.fail_next(method, kind, count, delay)  # type: ignore[arg-type]
        figures.faults[kind] = figures.faults.get(kind, 0) + count

    return inject


async def _restart_postgres(emulator: Emulator, fleet: list[Worker], figures: Figures) -> None:
    async def restart() -> None:
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(*_restart_command())
        if await process.wait() != 0:
            raise RuntimeError("the PostgreSQL restart command failed")
        await wait_for_postgres()
        figures.restarts += 1
        figures.restarted.append((started, time.monotonic()))

    _background.add(asyncio.create_task(restart()))


def _public(figures: Figures) -> dict[str, object]:
    hidden = ("restarted", "store", "unrecorded_at_kill")
    return {key: value for key, value in figures.__dict__.items() if key not in hidden}


def print_figures(figures: Figures) -> None:
    print(f"\n== {figures.name} ==")
    for key, value in figures.__dict__.items():
        if key not in ("name", "restarted", "store", "unrecorded_at_kill"):
            print(f"  {key:20} {value}")


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a guarantee is broken")
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args(argv)
    n = args.updates
    logs = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    print(f"worker logs in {logs}")
    kill = await run_scenario(
        "kill", n, args.users, workers=args.workers, events={n // 2: _kill_leader}, logs=logs
    )
    await asyncio.gather(*_background)
    kill.judge()
    print_figures(kill)
    faults = {
        n // 10: _storm("sendMessage", "429", 60, 1.0),
        2 * n // 10: _storm("*", "5xx", 40),
        3 * n // 10: _storm("sendMessage", "slow", 3, 31.0),
        3 * n // 10 + 1: _storm("getUpdates", "slow", 1, 13.0),
        3 * n // 10 + 2: _storm("sendMessage", "late", 3, 31.0),
        4 * n // 10: _storm("*", "drop", 30),
        n // 2: _restart_postgres,
    }
    storm = await run_scenario("faults", n, args.users, workers=args.workers, events=faults, logs=logs)
    await asyncio.gather(*_background)
    storm.judge()
    print_figures(storm)
    print(json.dumps({"kill": _public(kill), "faults": _public(storm)}))
    broken = kill.broken + storm.broken
    if args.check and broken:
        print("broken: " + "; ".join(broken), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
