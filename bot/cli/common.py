"""What every `assembly-bot` command shares: its error type and how it reads settings and the definition."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.definition import ConfigError, load_assembly
from bot.settings import Settings
from bot.store.database import Database
from bot.store.participants import ensure_assembly
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


def read_assembly(settings: Settings, path: Path | None) -> Any:
    try:
        return load_assembly(path or settings.assembly_config)
    except ConfigError as error:
        raise CliError(str(error), 2) from None


def with_assembly(parser: argparse.ArgumentParser) -> None:
    """The options of every organiser command: which assembly, from which definition file."""
    parser.add_argument("--assembly", required=True, metavar="ID", help="the assembly's id (checked)")
    parser.add_argument(
        "--config", type=Path, default=None, help="assembly definition file (default: ASSEMBLY_CONFIG)"
    )


def assembly_for(args: argparse.Namespace) -> tuple[Settings, Assembly]:
    """The settings and the assembly named by --assembly, which must be the configured one."""
    settings = read_settings()
    assembly: Assembly = read_assembly(settings, args.config)
    if args.assembly != assembly.id:
        where = args.config or settings.assembly_config
        raise CliError(
            f"--assembly '{args.assembly}' is not the assembly defined in {where} ('{assembly.id}')", 2
        )
    return settings, assembly


async def open_database(settings: Settings, assembly: Assembly) -> Database:
    """The store at DATABASE_URL, migrated, with the assembly recorded; one clear line if not."""
    try:
        db = Database(settings.database_url)
        await db.migrate()
        async with db.transaction() as session:
            await ensure_assembly(session, assembly)
    except Exception as error:
        raise CliError(
            f"cannot open the database at DATABASE_URL ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:200]})"
        ) from None
    return db


async def until_signal(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` until it ends or SIGINT/SIGTERM arrives, then cancel it cleanly."""
    task = asyncio.create_task(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task
