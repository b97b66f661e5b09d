"""The `assembly-bot` command: its parser, gathered from one module per command group, and `main`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from bot.cli import (
    announce,
    chat,
    dashboard,
    demo,
    emulator,
    lottery,
    registrations,
    reports,
    roles,
    run,
    sessions,
)
from bot.cli.common import CliError

GROUPS = (run, chat, demo, emulator, announce, sessions, roles, lottery, registrations, reports, dashboard)
"""Every command group, in the order `assembly-bot --help` lists them."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assembly-bot",
        description="The citizens' assembly assistant: a multilingual Telegram bot.",
        epilog="Environment: TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, DATABASE_URL, ASSEMBLY_CONFIG, "
        "DASHBOARD_URL.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """One clear line and a non-zero exit for every operator mistake."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for library in ("aiogram", "telegram", "httpx"):
        logging.getLogger(library).setLevel(logging.WARNING)
    handler: Callable[[argparse.Namespace], Coroutine[Any, Any, None]] = args.handler
    try:
        asyncio.run(handler(args))
    except CliError as error:
        print(f"assembly-bot: error: {error}", file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
