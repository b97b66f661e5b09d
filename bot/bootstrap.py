"""The composition root: the one place that builds the store, translators, adapter and runner."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import SystemClock
from bot.detection import LangDetect
from bot.i18n import Catalogs
from bot.runtime.aiogram_api import AiogramApi
from bot.runtime.api import TelegramApi
from bot.runtime.runner import Runner, Services
from bot.runtime.sender import OutboxSender
from bot.store.database import Database
from flows.assembly import Assembly
from flows.ports import Clock
from flows.routes import build_router

RUNTIMES = ("aiogram",)


def make_api(runtime: str, token: str, api_url: str) -> TelegramApi:
    if runtime == "aiogram":
        return AiogramApi(token, api_url)
    raise ValueError(f"unknown runtime '{runtime}'; choose from {', '.join(RUNTIMES)}")


def make_services(assembly: Assembly, clock: Clock | None = None) -> Services:
    return Services(
        assembly=assembly,
        translations=Catalogs(assembly.languages, assembly.zone),
        detector=LangDetect(assembly.languages),
        clock=clock or SystemClock(),
        router=build_router(),
    )


@dataclass
class App:
    """Everything `assembly-bot run` needs, built and ready; `close()` releases it all."""

    db: Database
    api: TelegramApi
    runner: Runner

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
) -> App:
    db = Database(database_url)
    await db.migrate()
    api = make_api(runtime, token, api_url)
    sender = OutboxSender(db, api)
    runner = Runner(db, api, make_services(assembly, clock), sender, poll_timeout=poll_timeout)
    return App(db, api, runner)
