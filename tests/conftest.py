"""Shared fixtures: real SQLite and PostgreSQL stores, the example assembly, the emulator, a running bot."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from bot.adapters.clock import ManualClock
from bot.bootstrap import App, build_app, build_core, build_kit
from bot.definition import load_assembly
from bot.emulator import Emulator, Limits
from bot.jobs.session_mirror import sync_sessions
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store.database import Database
from bot.store.models import ParticipantRow
from bot.store.participants import SqlStore, ensure_assembly
from bot.telegram.runner import handle_event
from flows.actions import Action
from flows.assembly import Assembly
from flows.events import ButtonPress, Event, Sender
from flows.ports import Participant

TOKEN = "123456:TEST-TOKEN"
CONVERSATION_LIMITS = Limits(per_chat_per_second=10.0, per_chat_burst=10)
"""Conversation tests talk faster than a person types, so the emulator and the bot allow 10
messages a second to one chat instead of Telegram's 1; the flood limits themselves are tested
with Telegram's real figures (test_e2e_basics, test_fanout)."""
CHAT_RATE = 10.0

PG_ADMIN = os.environ.get("TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")


async def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait until `condition()` holds; for state owned by another process or loop task."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 (no event to await across processes)
            await asyncio.sleep(0.05)


async def add_confirmed(db: Database, assembly: Assembly, user_id: int, language: str) -> Participant:
    """A participant whom registration has confirmed (created through the real store)."""
    async with db.transaction() as session:
        await ensure_assembly(session, assembly)
        person = await SqlStore(session, assembly.id).add_participant(user_id, user_id, language)
        (await session.get_one(ParticipantRow, person.id)).status = "confirmed"
    return person


async def mirror_sessions(db: Database, assembly: Assembly, now: datetime) -> int:
    """Mirror the definition's sessions into the store, as the bot does at start-up."""
    kit = build_kit(assembly)
    async with db.transaction() as session:
        await ensure_assembly(session, assembly)
        return await sync_sessions(session, assembly, kit.translations, now)


@pytest.fixture(scope="session")
def assembly() -> Assembly:
    return load_assembly(EXAMPLE_ASSEMBLY)


@contextlib.asynccontextmanager
async def _postgres_database() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"assembly_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@contextlib.asynccontextmanager
async def database_url(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite'}"
    else:
        async with _postgres_database() as url:
            yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def db_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    async with database_url(backend, tmp_path) as url:
        yield url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.migrate()
    yield database
    await database.dispose()


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    emu = Emulator(token=TOKEN, bot_username="assembly_test_bot", limits=CONVERSATION_LIMITS)
    await emu.start(host="127.0.0.1", port=0)
    yield emu
    await emu.stop()


class RunningBot:
    """A bot runtime running in this test's event loop; `restart()` simulates a process restart."""

    def __init__(
        self,
        assembly: Assembly,
        emulator: Emulator,
        url: str,
        runtime: str,
        clock: ManualClock | None = None,
        *,
        dashboard_url: str | None = None,
    ) -> None:
        self.assembly, self.emulator, self.url, self.runtime = assembly, emulator, url, runtime
        self.clock, self.dashboard_url = clock, dashboard_url
        self.app: App | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.app = await build_app(
            build_core(self.assembly, self.url, clock=self.clock, dashboard_url=self.dashboard_url),
            token=TOKEN,
            api_url=self.emulator.url,
            runtime=self.runtime,
            poll_timeout=1,
            tick=timedelta(seconds=0.2),
            chat_rate=CHAT_RATE,
            poll_tick=timedelta(seconds=0.2),
        )
        await self.app.runner.prepare()
        self.task = asyncio.create_task(self.app.runner.run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.app is not None:
            await self.app.close()
        self.task = self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest.fixture(params=["aiogram", "ptb"])
def runtime(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def running_bot(
    assembly: Assembly, emulator: Emulator, tmp_path: Path, runtime: str
) -> AsyncIterator[RunningBot]:
    bot = RunningBot(assembly, emulator, f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite'}", runtime)
    await bot.start()
    yield bot
    await bot.stop()


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


class FlowHarness:
    """Drives flows directly on a real store and real catalogs: one transaction per event."""

    def __init__(self, db: Database, assembly: Assembly) -> None:
        self.db = db
        self.clock = ManualClock(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
        self.kit = build_kit(assembly, clock=self.clock)
        self._query = 0

    async def prepare(self) -> None:
        async with self.db.transaction() as session:
            await ensure_assembly(session, self.kit.assembly)

    async def send(self, event: Event) -> tuple[Action, ...]:
        async with self.db.transaction() as session:
            result = await handle_event(session, self.kit, event)
        return result.actions

    def sender(self, user_id: int = 501, language_code: str | None = "en") -> Sender:
        return Sender(user_id, user_id, "Test", language_code)

    def press(self, sender: Sender, data: str, message_id: int = 1) -> ButtonPress:
        self._query += 1
        return ButtonPress(sender, data, message_id, f"q{self._query}")


@pytest.fixture
async def flow(db: Database, assembly: Assembly) -> FlowHarness:
    harness = FlowHarness(db, assembly)
    await harness.prepare()
    return harness
