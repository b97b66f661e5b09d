"""The composition root: the one place that builds the adapters, the store's database and the runner."""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from bot.adapters.calendars import IcsCalendars
from bot.adapters.charts import BarCharts
from bot.adapters.clock import SystemClock
from bot.adapters.detection import LangDetect
from bot.adapters.i18n import Catalogs
from bot.jobs.confirmations import expire_deadlines
from bot.jobs.digest import send_digests
from bot.jobs.polls import PollJob
from bot.jobs.reminders import ReminderJob
from bot.jobs.retention import retention_job
from bot.jobs.scheduler import Scheduler, waking
from bot.jobs.session_mirror import sync_sessions
from bot.lasting import lasting
from bot.metrics import MeteredApi
from bot.store.database import Database, Session
from bot.store.quotas import sync_quotas
from bot.telegram.api import TelegramApi
from bot.telegram.budget import RedisBudget, SendBudget
from bot.telegram.fleet import Fleet, lock_sqlite_store
from bot.telegram.identity import bot_id_of
from bot.telegram.runner import Runner
from bot.telegram.sender import OutboxSender
from bot.telegram.webhook import Webhook, WebhookRunner
from flows.assembly import Assembly
from flows.engine import Kit
from flows.ports import Clock
from flows.routes import build_router

RUNTIMES: dict[str, str] = {
    "aiogram": "bot.telegram.aiogram_api:AiogramApi",
    "ptb": "bot.telegram.ptb_api:PtbApi",
}
"""The Telegram frameworks the bot runs on, by the name `--runtime` takes. Imported only when used:
aiogram's types alone take seconds to import, which every organiser command would otherwise pay."""


UNUSED = {"ptb": ("cryptography",)}
"""Packages a framework imports at start-up, when installed, for features the bot never uses: PTB
loads cryptography (7 MiB of an idle bot) to decrypt Telegram Passport data. cryptography is
installed for the lottery library's Google Sheets support, and stays importable for it."""


@contextlib.contextmanager
def _hidden(packages: Sequence[str]) -> Iterator[None]:
    """`packages` cannot be imported inside (a None in `sys.modules`), unless already loaded."""
    hidden = [name for name in packages if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in hidden:
            del sys.modules[name]


@functools.cache
def _adapter(runtime: str) -> Callable[[str, str], TelegramApi]:
    """The runtime's adapter class, its framework imported once and `lasting`."""
    module, name = RUNTIMES[runtime].split(":")
    with lasting(), _hidden(UNUSED.get(runtime, ())):
        loaded = importlib.import_module(module)
    adapter: Callable[[str, str], TelegramApi] = getattr(loaded, name)
    return adapter


def make_api(runtime: str, token: str, api_url: str) -> TelegramApi:
    if runtime in RUNTIMES:
        return _adapter(runtime)(token, api_url)
    raise ValueError(f"unknown runtime '{runtime}'; choose from {', '.join(RUNTIMES)}")


def build_kit(assembly: Assembly, *, clock: Clock | None = None, dashboard_url: str | None = None) -> Kit:
    """The adapters behind the flows' ports for one assembly; `clock` replaces the system clock
    where time is simulated (a rehearsal, the demo, tests)."""
    return Kit(
        assembly=assembly,
        translations=Catalogs(assembly.languages, assembly.zone, assembly.fallback_language),
        detector=LangDetect(assembly.languages),
        clock=clock or SystemClock(),
        charts=BarCharts(),
        calendars=IcsCalendars(),
        router=build_router(),
        dashboard_url=dashboard_url,
    )


@dataclass(frozen=True)
class Core:
    """What every entry point works with: the store's database and the flows' kit. Building it
    opens no connection; the caller migrates when it needs to, and disposes of `db` when done."""

    db: Database
    kit: Kit


def build_core(
    assembly: Assembly, database_url: str, *, clock: Clock | None = None, dashboard_url: str | None = None
) -> Core:
    """`dashboard_url` where `assembly-bot dashboard` is reachable, for the links /dashboard sends."""
    return Core(Database(database_url), build_kit(assembly, clock=clock, dashboard_url=dashboard_url))


@dataclass
class App:
    """Everything `assembly-bot run` needs, built and ready; `close()` releases it all."""

    core: Core
    api: TelegramApi
    runner: Runner
    scheduler: Scheduler
    fleet: Fleet | None = None
    budget: SendBudget | None = None
    store_lock: int | None = None

    @property
    def db(self) -> Database:
        return self.core.db

    async def close(self) -> None:
        await self.api.close()
        if self.budget is not None:
            await self.budget.close()
        if self.fleet is not None:
            await self.fleet.close()
        await self.core.db.dispose()
        if self.store_lock is not None:
            os.close(self.store_lock)


async def build_app(
    core: Core,
    *,
    token: str,
    api_url: str,
    runtime: str = "aiogram",
    poll_timeout: int = 10,
    tick: timedelta = timedelta(seconds=15),
    poll_tick: timedelta = timedelta(seconds=3),
    send_rate: float = 30.0,
    chat_rate: float = 1.0,
    calm_grace: float = 2.0,
    webhook: Webhook | None = None,
    coordinate: bool = False,
    redis_url: str | None = None,
) -> App:
    """`tick` is how often store-driven jobs look for due work (reminders are planned at that grain);
    `send_rate` is the bot-wide messages per second (Telegram allows about 30), `chat_rate` the
    messages per second to one chat (about 1, with short bursts); `calm_grace` how long a press
    waits for its step's own answer (with its notice) before it is acknowledged without one, when the
    bot is not crowded; `poll_tick` how often live poll counts are refreshed and poll timers checked
    (at most one edit per live message per tick);
    `webhook`: Telegram POSTs updates to it instead of the bot long-polling; `coordinate`: this is an
    `assembly-bot run` worker, which finds its place among the others on the store (alone on SQLite;
    on PostgreSQL sharing the work, and the send budget through `redis_url`; FleetRefused if not)."""
    db, kit = core.db, core.kit
    assembly = kit.assembly
    bot_id = bot_id_of(token)
    chat_burst = max(3, int(chat_rate))
    fleet, budget, store_lock = None, None, None
    if coordinate and db.single_writer:
        store_lock = lock_sqlite_store(db.url, bot_id)
    elif coordinate:
        fleet = Fleet(db.url, bot_id, shared_budget=redis_url is not None)
        try:
            await fleet.join()
        except BaseException:
            await fleet.close()
            raise
        if redis_url is not None:
            budget = RedisBudget(redis_url, bot_id, send_rate, chat_rate, chat_burst)
    await db.migrate(bot_id=bot_id)
    api = MeteredApi(make_api(runtime, token, api_url))
    sender = OutboxSender(
        db,
        api,
        assembly.id,
        global_per_second=send_rate,
        chat_per_second=chat_rate,
        chat_burst=chat_burst,
        calm_grace=calm_grace,
        budget=budget,
        turns=None if fleet is None else fleet.send_turn,
    )
    claims = None if fleet is None else partial(fleet.job_turn, db)
    scheduler = Scheduler(assembly.zone, kit.clock, claims)
    scheduler.every("reminders", tick, ReminderJob(db, assembly, kit.translations, sender.wake))
    scheduler.every("polls", poll_tick, PollJob(db, kit, sender.wake))
    deadlines = partial(expire_deadlines, db, assembly, kit.translations)
    scheduler.every("confirmation-deadlines", tick, waking(deadlines, sender.wake))
    if assembly.retention is not None:
        scheduler.every("retention", timedelta(hours=1), partial(retention_job, db, assembly))
    if assembly.digest is not None:
        digest = partial(send_digests, db, assembly, kit.translations, kit.charts)
        scheduler.daily("digest", assembly.digest.at, waking(digest, sender.wake))

    async def mirror_sessions(session: Session) -> None:
        await sync_sessions(session, assembly, kit.translations, kit.clock.now())

    async def mirror_quotas(session: Session) -> None:
        await sync_quotas(session, assembly)

    # The webhook runner is the runner with another update source: one construction for both.
    source = (
        partial(Runner, poll_timeout=poll_timeout)
        if webhook is None
        else partial(WebhookRunner, webhook=webhook)
    )
    startup = [mirror_sessions, mirror_quotas]
    runner = source(db, api, kit, sender, bot_id=bot_id, scheduler=scheduler, startup=startup, fleet=fleet)
    return App(core, api, runner, scheduler, fleet, budget, store_lock)
