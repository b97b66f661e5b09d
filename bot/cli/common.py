"""What every `assembly-bot` command shares: its error type, reading the settings and the definition,
opening the Core, and running until a signal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import enum
import re
import signal
import sys
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.bootstrap import Core, build_core, make_api
from bot.definition import ConfigError, load_assembly
from bot.jobs.session_mirror import add_new_sessions
from bot.settings import Settings
from bot.store.database import StoreError
from bot.store.participants import ensure_assembly
from bot.store.quotas import sync_quotas
from bot.telegram.identity import bot_id_of
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


def _token_bot(settings: Settings) -> int | None:
    """The configured bot, whose updates a store from before 0009 logged; None without a usable token
    (`run` reports a malformed one)."""
    token = settings.telegram_bot_token
    try:
        return None if token is None else bot_id_of(token.get_secret_value())
    except ValueError:
        return None


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
            await core.db.migrate(bot_id=_token_bot(settings))
            if access is not Access.READ:
                async with core.db.transaction() as session:
                    await ensure_assembly(session, assembly)
        except StoreError as error:
            raise store_error(error) from None
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


USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")
"""What Telegram accepts as a bot's username (without the @)."""


async def bot_username(given: str | None, assembly: Assembly) -> str:
    """The username for t.me links: `given` (--bot-username), else the definition's `bot_username`,
    else what the Bot API reports for TELEGRAM_BOT_TOKEN."""
    username = (given or assembly.bot_username).lstrip("@")
    if username:
        if not USERNAME.fullmatch(username):
            raise CliError(f"'{username}' is not a Telegram bot username (5 to 32 letters, digits, _)", 2)
        return username
    settings = read_settings()
    if settings.telegram_bot_token is None:
        raise CliError(
            "give the bot's username with --bot-username or bot_username in the definition, "
            "or set TELEGRAM_BOT_TOKEN to ask the Bot API",
            2,
        )
    api = make_api("aiogram", settings.telegram_bot_token.get_secret_value(), settings.telegram_api_url)
    try:
        _, username = await api.identity()
    except Exception as error:
        raise CliError(
            f"cannot ask the Bot API for the bot's username ({type(error).__name__}); use --bot-username"
        ) from None
    finally:
        await api.close()
    return username


def writable_file(path: Path) -> None:
    """Refuse, before anything is done, an output file whose folder does not exist or that is a folder."""
    if path.is_dir():
        raise CliError(f"{path} is a folder; give a file name", 2)
    if not path.parent.is_dir():
        raise CliError(f"{path.parent} does not exist; create it first or choose another place", 2)


def writable_folder(path: Path) -> None:
    """Refuse, before anything is done, an output folder that is a file or whose parent does not exist."""
    if path.exists() and not path.is_dir():
        raise CliError(f"{path} is a file, not a folder; give a folder for the files", 2)
    if not path.parent.is_dir():
        raise CliError(f"{path.parent} does not exist; create it first or choose another place", 2)


def write_out(path: Path | None, text: str) -> None:
    """`text` to standard output, or to `path` with one clear line if it cannot be written."""
    if path is None:
        sys.stdout.write(text)
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from None


def store_error(error: StoreError) -> CliError:
    """One line for a store that refused a command midway; its transaction was rolled back."""
    reason = str(error.orig).splitlines()[0][:200] if error.orig else type(error).__name__
    if "locked" in reason or "busy" in reason:
        return CliError(
            "the database is locked by another process (a running bot holds it for longer than "
            "usual, or a tool has it open); nothing was changed, try again"
        )
    return CliError(f"the database refused the command ({reason}); nothing was changed")


async def until_signal(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` until it ends or SIGINT/SIGTERM arrives, then cancel it cleanly."""
    task = asyncio.create_task(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task
