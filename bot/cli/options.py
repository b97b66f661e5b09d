"""The options several commands share, defined once so they read and behave the same everywhere."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from bot.bootstrap import RUNTIMES
from flows.numbers import INT64_MAX, parse_int


def whole(low: int = 0, high: int = INT64_MAX) -> Callable[[str], int]:
    """An argparse `type` for a whole number in [low, high], read like every number the bot reads."""

    def parse(value: str) -> int:
        number = parse_int(value, low, high)
        if number is not None:
            return number
        if value.strip().lstrip("-\u2212").isdecimal():
            raise argparse.ArgumentTypeError(f"{value.strip()} is out of range: give {low} to {high}")
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number from {low} to {high}")

    return parse


def add_runtime_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runtime",
        choices=list(RUNTIMES),
        default="aiogram",
        help="Telegram framework to run on: aiogram or ptb (python-telegram-bot) (default: aiogram)",
    )


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="assembly definition file (default: ASSEMBLY_CONFIG or the example)",
    )


def add_assembly_options(parser: argparse.ArgumentParser) -> None:
    """The options of every organiser command: which assembly, from which definition file."""
    parser.add_argument("--assembly", required=True, metavar="ID", help="the assembly's id (checked)")
    add_config_option(parser)


def add_bot_username_option(parser: argparse.ArgumentParser) -> None:
    """`--bot-username` for every command that prints t.me links (`--bot`, its older spelling, is
    still accepted but no longer shown)."""
    parser.add_argument(
        "--bot-username",
        metavar="USERNAME",
        default=None,
        help="the bot's username for the links (default: bot_username in the definition, "
        "else asked from the Bot API with TELEGRAM_BOT_TOKEN)",
    )
    parser.add_argument("--bot", dest="bot_username", help=argparse.SUPPRESS)
