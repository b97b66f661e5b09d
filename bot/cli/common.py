"""What every `assembly-bot` command shares: its error type, reading the settings and the definition,
opening the Core, and running until a signal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import enum
import signal
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.bootstrap import Core, build_core, make_api
from bot.definition import ConfigError, load_assembly
from bot.jobs.session_mirror import add_new_sessions
from bot.settings import Settings
from bot.store.participants import ensure_assembly
from bot.store.quotas import sync_quotas
from flows.assembly import Assembly


class CliError(Exception):
    """Printed as `assembly-bot: error: <message>`, exit status 2 (usage) or 1 (runtime)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def read_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        detail = error.errors()[0]
        name = str(detail["loc"][0]).upper() if detail["loc"] else "environment"
        raise CliError(f"{name}: {detail['msg']}", 2) from None


def read_assembly(settings: Settings, path: Path | None) -> Assembly:
    try:
        assembly: Assembly = load_assembly(path or settings.assembly_config)
    except ConfigError as error:
        raise CliError(str(error), 2) from None
    return assembly


def assembly_for(args: argparse.Namespace) -> tuple[Settings, Assembly]:
    """The settings and the assembly named by --assembly, which must be the configured one."""
    settings = read_settings()
    assembly = read_assembly(settings, args.config)
    if args.assembly != assembly.id:
        where = args.config or settings.assembly_config
        raise CliError(
            f"--assembly '{args.assembly}' is not the assembly defined in {where} ('{assembly.id}')", 2
        )
    return settings, assembly


def database_error(error: Exception) -> CliError:
    """One line for a store that cannot be opened, whatever the driver raised."""
    return CliError(
        f"cannot open the database at DATABASE_URL ({type(error).__name__}: "
        f"{str(error).splitlines()[0][:200]})"
    )


class Access(enum.Enum):
    """What a command may change in the store, so that only the bot and explicit commands message people."""

    READ = "read"
    """Nothing at all: listings, reports, exports, the dashboard."""
    WRITE = "write"
    """Its own rows; the definition's new sessions and its quotas are mirrored first, so a command works
    before the bot's first run, but changes to known sessions (which message people) are left to the
    bot's start-up and `assembly-bot sessions sync`."""


@contextlib.asynccontextmanager
async def open_core(
    settings: Settings, assembly: Assembly, *, access: Access = Access.WRITE, mirror: bool = False
) -> AsyncIterator[Core]:
    """The Core on DATABASE_URL, its store migrated (and, unless READ, the assembly recorded); one
    clear line if not. `mirror`: the definition is mirrored as `access` allows."""
    dashboard_url = str(settings.dashboard_url) if settings.dashboard_url else None
    try:
        core = build_core(assembly, settings.database_url, dashboard_url=dashboard_url)
    except Exception as error:
        raise database_error(error) from None
    try:
        try:
            await core.db.migrate()
            if access is not Access.READ:
                async with core.db.transaction() as session:
                    await ensure_assembly(session, assembly)
        except Exception as error:
            raise database_error(error) from None
        if mirror and access is not Access.READ:
            async with core.db.transaction() as session:
                await add_new_sessions(session, assembly, core.kit.clock.now())
                await sync_quotas(session, assembly)
        yield core
    finally:
        await core.db.dispose()


@contextlib.asynccontextmanager
async def organiser_core(args: argparse.Namespace, access: Access) -> AsyncIterator[Core]:
    """The Core of the assembly named by --assembly, with the definition mirrored as `access` allows."""
    settings, assembly = assembly_for(args)
    async with open_core(settings, assembly, access=access, mirror=True) as core:
        yield core


async def bot_username(given: str | None) -> str:
    """`given` (--bot), else the username the Bot API reports for TELEGRAM_BOT_TOKEN."""
    if given:
        return given
    settings = read_settings()
    if settings.telegram_bot_token is None:
        raise CliError("give the bot's username with --bot, or set TELEGRAM_BOT_TOKEN to ask the Bot API", 2)
    api = make_api("aiogram", settings.telegram_bot_token.get_secret_value(), settings.telegram_api_url)
    try:
        _, username = await api.identity()
    except Exception as error:
        raise CliError(
            f"cannot ask the Bot API for the bot's username ({type(error).__name__}); use --bot"
        ) from None
    finally:
        await api.close()
    return username


async def until_signal(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` until it ends or SIGINT/SIGTERM arrives, then cancel it cleanly."""
    task = asyncio.create_task(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task
