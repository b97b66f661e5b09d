"""The `assembly-bot` command: its parser, gathered from one module per command group, and `main`."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType
from typing import Any

from bot.lasting import lasting


@functools.cache
def _groups() -> tuple[ModuleType, ...]:
    """Every command group, in the order `assembly-bot --help` lists them, imported once and
    `lasting` (as are the modules they import)."""
    with lasting():
        from bot.cli import (  # noqa: PLC0415 (loaded lasting)
            announce,
            audit,
            chat,
            dashboard,
            demo,
            emulator,
            lottery,
            migrate,
            registrations,
            reports,
            retention,
            roles,
            run,
            sessions,
        )
    return (
        run,
        migrate,
        chat,
        demo,
        emulator,
        announce,
        sessions,
        roles,
        lottery,
        registrations,
        reports,
        dashboard,
        retention,
        audit,
    )


def _version() -> str:
    try:
        return version("assembly-bot")
    except PackageNotFoundError:
        return "(not installed: run `pip install -e .`)"


def _parser() -> argparse.ArgumentParser:
    groups = _groups()
    from bot.cli import logs  # noqa: PLC0415 (loaded with the groups)

    parser = argparse.ArgumentParser(
        prog="assembly-bot",
        description="The citizens' assembly assistant: a multilingual Telegram bot.",
        epilog="Environment: TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, DATABASE_URL, ASSEMBLY_CONFIG, "
        "DASHBOARD_URL.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument(
        "--log-level",
        choices=logs.LEVELS,
        type=str.lower,
        default=None,
        help="log everything from this level (default: LOG_LEVEL, else only the bot's own notices "
        "and warnings)",
    )
    parser.add_argument(
        "-v", "--verbose", dest="log_level", action="store_const", const="debug", help="--log-level debug"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in groups:
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """One clear line and a non-zero exit for every operator mistake."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error argparse already explained
        return done.code if isinstance(done.code, int) else 2
    # Loaded with the groups, by `_parser`:
    from bot.cli import logs  # noqa: PLC0415
    from bot.cli.common import CliError, store_error  # noqa: PLC0415
    from bot.store.database import StoreError  # noqa: PLC0415

    handler: Callable[[argparse.Namespace], Coroutine[Any, Any, None]] = args.handler
    output: logging.Handler | None = None
    try:
        output = logs.configure(logs.chosen_level(args.log_level))
        asyncio.run(handler(args))
    except StoreError as error:
        failure = store_error(error)
        print(f"assembly-bot: error: {failure}", file=sys.stderr)
        return failure.status
    except CliError as error:
        print(f"assembly-bot: error: {error}", file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        return 130
    finally:
        if output is not None:
            logging.getLogger().removeHandler(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
