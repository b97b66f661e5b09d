"""`assembly-bot demo`: a whole small assembly played offline, its results written into a folder."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, read_assembly, read_settings
from bot.cli.options import add_config_option, add_runtime_option


async def _demo(args: argparse.Namespace) -> None:
    from rich.console import Console  # noqa: PLC0415 (only this command needs the terminal UI)

    from bot.demo import DemoError, run_demo  # noqa: PLC0415

    # The progress lines say what happens; the scheduler's "skipped" notices (the demo's ticks are
    # 0.2 s) and the lottery library's chatter would only bury them.
    for name in ("alembic", "apscheduler", "bot", "sortition_algorithms", "sortition_algorithms_user"):
        logging.getLogger(name).setLevel(logging.ERROR)
    assembly = read_assembly(read_settings(), args.config)
    console = Console(highlight=False)
    if args.out.is_dir() and any(args.out.iterdir()):
        console.print(f"{args.out} holds an earlier demo: its files are replaced.")
    console.print(f"Playing a small assembly offline on [bold]{args.runtime}[/], writing into {args.out}")
    try:
        result = await run_demo(assembly, args.out, args.runtime, console)
    except DemoError as error:
        raise CliError(f"demo: {error}") from None
    figures = result.summary
    console.print(
        f"Done in {result.seconds:.0f} s: {figures['invited']} invited, {figures['registered']} registered, "
        f"{figures['selected']} selected, {figures['confirmed']} confirmed, {figures['reminders_sent']} "
        f"reminders, {figures['checked_in']} checked in, {figures['poll_votes']} votes, "
        f"{figures['feedback']} feedback answers."
    )
    console.print(
        f"See {args.out / 'summary.json'}, transcript.md, digest.png, exports/ and assembly.sqlite."
    )


def register(commands: Any) -> None:
    demo = commands.add_parser(
        "demo",
        help="play a whole small assembly offline (emulator + real bot) and write its results",
        description="Run the emulator and the bot on loopback, play a small assembly with simulated "
        "participants in every language, and write summary.json, transcript.md, digest.png and the "
        "SQLite store into --out. No token and no network needed.",
    )
    demo.add_argument(
        "--out", type=Path, default=Path("demo-output"), help="output folder (default: ./demo-output)"
    )
    add_runtime_option(demo)
    add_config_option(demo)
    demo.set_defaults(handler=_demo)
