"""Shared fixtures: real SQLite and PostgreSQL stores migrated once per run, the example assembly, the
emulator, a running bot."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest
from hypothesis import settings
from sqlalchemy import func, select

from bot.adapters.clock import ManualClock
from bot.bootstrap import App, build_app, build_core, build_kit
from bot.definition import load_assembly
from bot.emulator import Emulator, Limits
from bot.jobs.session_mirror import sync_sessions
from bot.settings import EXAMPLE_ASSEMBLY
from bot.store import outbox
from bot.store.database import Database
from bot.store.models import InboundUpdate, OutboxMessage, ParticipantRow
from bot.store.participants import SqlStore, ensure_assembly
from bot.telegram.identity import bot_id_of
from bot.telegram.runner import handle_event
from flows.actions import Action
from flows.assembly import Assembly
from flows.events import ButtonPress, Event, Sender
from flows.ports import Participant

TOKEN = "123456:TEST-TOKEN"
BOT_ID = bot_id_of(TOKEN)
CONVERSATION_LIMITS = Limits(per_chat_per_second=50.0, per_chat_burst=50)
"""Conversation tests talk faster than a person types, so the emulator and the bot allow 50
messages a second to one chat instead of Telegram's 1; the flood limits themselves are tested
with Telegram's real figures (test_e2e_basics, test_fanout)."""
CHAT_RATE = 50.0

settings.register_profile("suite", max_examples=50)
settings.register_profile("deep", max_examples=200)
settings.load_profile("suite")
"""How many examples a property test without its own count tries: 50 in the default run (the event
sequences of test_properties: about 15 s, reaching eight conversation states; 30 reached five), 200
with `--hypothesis-profile deep` (CI's last step)."""

PG_ADMIN = os.environ.get("TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")
T = TypeVar("T")


async def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait until `condition()` holds; for state owned by another process or loop task."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 (no event to await across processes)
            await asyncio.sleep(0.05)


async def settled(emulator: Emulator, db: Database, timeout: float = 20.0) -> None:
    """Wait until the bots have fetched and handled every update and sent all they queued: from then
    on, nothing more arrives until someone writes again (so a test need not sleep to prove it)."""

    async def idle() -> bool:
        unhandled = select(func.count()).where(InboundUpdate.processed_at.is_(None))
        unsent = select(func.count()).where(OutboxMessage.status == outbox.PENDING)
        async with db.transaction() as session:
            return not await session.scalar(unhandled) and not await session.scalar(unsent)

    async with asyncio.timeout(timeout):
        while emulator.pending_updates() or not await idle():  # noqa: ASYNC110 (the store offers no event)
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


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject's addopts): the README's `python -m pytest` spreads over every core (most
    of its time is waiting on bots and subprocesses); a run of chosen paths or of other marks (`-m
    load`, whose runs measure behaviour under load) stays in one process, so it has no workers to
    start and runs each test alone; `-n 2` on the command line still spreads it."""
    default_run = config.args_source is pytest.Config.ArgsSource.TESTPATHS
    if not default_run or config.option.markexpr != "not load":
        return 0
    return len(os.sched_getaffinity(0))


@pytest.fixture(scope="session")
def assembly() -> Assembly:
    return load_assembly(EXAMPLE_ASSEMBLY)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test with a store runs on SQLite; those marked `both_backends` on PostgreSQL too."""
    if "backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_backends") is not None
        metafunc.parametrize("backend", BACKENDS if both else BACKENDS[:1], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _apart(work: Coroutine[object, object, T]) -> T:
    """Run `work` on its own event loop in another thread: session fixtures outlive any test's loop."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, work).result()


async def _migrated(url: str) -> None:
    database = Database(url)
    try:
        await database.migrate()
    finally:
        await database.dispose()


async def _admin(statement: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


def _postgres_url(name: str) -> str:
    return f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store migrated once per run; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "store.sqlite"
    _apart(_migrated(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgresql_template() -> Iterator[str]:
    """A PostgreSQL database migrated once per run; each test gets `CREATE DATABASE ... TEMPLATE` it."""
    name = f"assembly_template_{uuid.uuid4().hex[:12]}"
    _apart(_admin(f'CREATE DATABASE "{name}"'))
    try:
        _apart(_migrated(_postgres_url(name)))
        yield name
    finally:
        _apart(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.asynccontextmanager
async def _postgres_database(template: str | None) -> AsyncIterator[str]:
    """A PostgreSQL database for one test, empty or a copy of `template`, dropped afterwards."""
    name = f"assembly_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield _postgres_url(name)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite store of this test's own (what a bot under test starts from)."""
    path = tmp_path / "store.sqlite"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """This test's database on `backend`: already migrated when the test also uses `db` (a copy of
    the run's template), else empty (the migration tests build it step by step)."""
    migrated = "db" in request.fixturenames
    if backend == "sqlite":
        empty = f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite'}"
        yield request.getfixturevalue("sqlite_url") if migrated else empty
    else:
        template = request.getfixturevalue("postgresql_template") if migrated else None
        async with _postgres_database(template) as url:
            yield url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
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
        token: str = TOKEN,
    ) -> None:
        self.assembly, self.emulator, self.url, self.runtime = assembly, emulator, url, runtime
        self.clock, self.dashboard_url, self.token = clock, dashboard_url, token
        self.app: App | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.app = await build_app(
            build_core(self.assembly, self.url, clock=self.clock, dashboard_url=self.dashboard_url),
            token=self.token,
            api_url=self.emulator.url,
            runtime=self.runtime,
            poll_timeout=1,
            tick=timedelta(seconds=0.2),
            chat_rate=CHAT_RATE,
            # The tests read each step's own notice on its button answer; on a loaded machine a step
            # can take longer than the 2 s after which a press is acknowledged without it.
            calm_grace=30.0,
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
    assembly: Assembly, emulator: Emulator, sqlite_url: str, runtime: str
) -> AsyncIterator[RunningBot]:
    bot = RunningBot(assembly, emulator, sqlite_url, runtime)
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
            await ensure_assembly(session, self.kit.assembly, BOT_ID)

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
