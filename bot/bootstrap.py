"""The composition root: the one place that builds the store, translators, adapter and runner."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapters.charts import BarCharts
from bot.adapters.clock import SystemClock
from bot.adapters.detection import LangDetect
from bot.adapters.i18n import Catalogs
from bot.jobs.digest import DigestJob
from bot.jobs.polls import PollJob
from bot.jobs.reminders import ReminderJob, sync_sessions
from bot.jobs.scheduler import Scheduler
from bot.organiser.lottery.confirmations import expire_overdue
from bot.store.database import Database
from bot.store.quotas import sync_quotas
from bot.telegram.api import TelegramApi
from bot.telegram.runner import Runner, Services
from bot.telegram.sender import OutboxSender
from flows.assembly import Assembly
from flows.ports import Clock
from flows.routes import build_router

RUNTIMES: dict[str, str] = {
    "aiogram": "bot.telegram.aiogram_api:AiogramApi",
    "ptb": "bot.telegram.ptb_api:PtbApi",
}
"""The Telegram frameworks the bot runs on, by the name `--runtime` takes. Imported only when used:
aiogram's types alone take seconds to import, which every organiser command would otherwise pay."""


def make_api(runtime: str, token: str, api_url: str) -> TelegramApi:
    if runtime in RUNTIMES:
        module, name = RUNTIMES[runtime].split(":")
        adapter: Callable[[str, str], TelegramApi] = getattr(importlib.import_module(module), name)
        return adapter(token, api_url)
    raise ValueError(f"unknown runtime '{runtime}'; choose from {', '.join(RUNTIMES)}")


def make_services(
    assembly: Assembly, clock: Clock | None = None, dashboard_url: str | None = None
) -> Services:
    return Services(
        assembly=assembly,
        translations=Catalogs(assembly.languages, assembly.zone),
        detector=LangDetect(assembly.languages),
        clock=clock or SystemClock(),
        router=build_router(),
        charts=BarCharts(),
        dashboard_url=dashboard_url,
    )


@dataclass
class App:
    """Everything `assembly-bot run` needs, built and ready; `close()` releases it all."""

    db: Database
    api: TelegramApi
    runner: Runner
    scheduler: Scheduler

    async def close(self) -> None:
        await self.api.close()
        await self.db.dispose()


async def build_app(
    *,
    assembly: Assembly,
    token: str,
    api_url: str,
    database_url: str,
    runtime: str = "aiogram",
    poll_timeout: int = 10,
    clock: Clock | None = None,
    tick: timedelta = timedelta(seconds=15),
    poll_tick: timedelta = timedelta(seconds=3),
    send_rate: float = 30.0,
    chat_rate: float = 1.0,
    dashboard_url: str | None = None,
) -> App:
    """`tick` is how often store-driven jobs look for due work (reminders are planned at that grain);
    `send_rate` is the bot-wide messages per second (Telegram allows about 30), `chat_rate` the
    messages per second to one chat (about 1, with short bursts); `poll_tick` how often live poll
    counts are refreshed and poll timers checked (at most one edit per live message per tick);
    `dashboard_url` where `assembly-bot dashboard` is reachable, for the links /dashboard sends."""
    db = Database(database_url)
    await db.migrate()
    api = make_api(runtime, token, api_url)
    sender = OutboxSender(
        db, api, global_per_second=send_rate, chat_per_second=chat_rate, chat_burst=max(3, int(chat_rate))
    )
    services = make_services(assembly, clock, dashboard_url)
    scheduler = Scheduler(assembly.zone, services.clock)
    scheduler.every("reminders", tick, ReminderJob(db, assembly, services.translations, sender.wake))
    scheduler.every("polls", poll_tick, PollJob(db, services, sender.wake))

    async def confirmation_deadlines(now: datetime) -> None:
        async with db.transaction() as session:
            closed = await expire_overdue(session, assembly, now, services.translations)
        if closed:
            sender.wake()

    scheduler.every("confirmation-deadlines", tick, confirmation_deadlines)
    if assembly.digest is not None:
        digest = DigestJob(db, assembly, services.translations, services.charts, sender.wake)
        scheduler.daily("digest", assembly.digest.at, digest)

    async def mirror_sessions(session: AsyncSession) -> None:
        await sync_sessions(session, assembly, services.translations, services.clock.now())

    async def mirror_quotas(session: AsyncSession) -> None:
        await sync_quotas(session, assembly)

    runner = Runner(
        db,
        api,
        services,
        sender,
        scheduler=scheduler,
        startup=[mirror_sessions, mirror_quotas],
        poll_timeout=poll_timeout,
    )
    return App(db, api, runner, scheduler)
