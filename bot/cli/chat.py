"""`assembly-bot chat`: talk to the flows as one participant in this terminal, or rehearse a table."""

from __future__ import annotations

import argparse
import asyncio
import os
import stat
import sys
import tempfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from bot.adapters.clock import ManualClock
from bot.bootstrap import build_core
from bot.cli.common import CliError, read_assembly, read_settings, until_signal
from bot.cli.options import add_config_option, whole
from flows.events import Sender

CHAT_DATABASE = "sqlite+aiosqlite:///assembly-chat.sqlite"
"""`assembly-bot chat` keeps its own store unless told otherwise, so trials never mix with a real bot's."""


def _watchable(stream: TextIO) -> bool:
    """A pipe, socket or terminal can be watched by the event loop; a file or /dev/null cannot (and
    never blocks)."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stream.isatty()


async def stdin_lines() -> AsyncIterator[str]:
    """Lines typed on standard input, read without blocking the event loop (a pipe, pty or file)."""
    if not _watchable(sys.stdin):
        for line in sys.stdin:
            yield line.rstrip("\n")
        return
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        yield line.decode("utf-8", "replace").rstrip("\r\n")


async def _chat(args: argparse.Namespace) -> None:
    from rich.console import Console  # noqa: PLC0415 (only this command needs the terminal UI)

    from bot.console.chat import ConsoleChat  # noqa: PLC0415

    settings = read_settings()
    assembly = read_assembly(settings, args.config)
    facilitating = args.as_ == "facilitator"
    with tempfile.TemporaryDirectory(prefix="assembly-rehearsal-") as scratch:
        # A rehearsal seeds people and a role: it gets a throw-away store unless one is named.
        fallback = (
            f"sqlite+aiosqlite:///{Path(scratch) / 'rehearsal.sqlite'}" if facilitating else CHAT_DATABASE
        )
        url = args.database_url or (None if facilitating else os.environ.get("DATABASE_URL")) or fallback
        clock = None
        if facilitating:  # a rehearsal plays the first session: time stands still ten minutes in
            clock = ManualClock(assembly.start_of(assembly.sessions[0]) + timedelta(minutes=10))
        try:
            dashboard_url = str(settings.dashboard_url) if settings.dashboard_url else None
            core = build_core(assembly, url, clock=clock, dashboard_url=dashboard_url)
            await core.db.migrate()
        except Exception as error:
            raise CliError(f"cannot open the database at {url} ({type(error).__name__})") from None
        console = Console(highlight=False)
        sender = Sender(args.user_id, args.user_id, args.name, args.language)
        chat = ConsoleChat(core.db, core.kit, sender, console, args.files)
        if facilitating:
            from bot.console.rehearsal import Rehearsal  # noqa: PLC0415

            rehearsal = Rehearsal(chat, assembly.sessions[0].id)
            await rehearsal.seed()
            chat.after, chat.queue = rehearsal.deliver, True
            console.print(
                "You facilitate table 1 of the first session, with five simulated participants "
                "(fr, nl, ar, de, en) who answer by themselves. Type /poll to start a poll.",
                style="dim",
            )
        lines = stdin_lines()

        async def read_line() -> str | None:
            console.print("> ", end="", style="bold", markup=False)
            return await anext(lines, None)

        try:
            await until_signal(chat.run(read_line))
        finally:
            await core.db.dispose()


def register(commands: Any) -> None:
    chat = commands.add_parser(
        "chat",
        help="talk to the assistant as a participant in this terminal, without Telegram",
        description="Talk to the assistant as one participant: type messages and /commands; a "
        "number presses that button of the newest keyboard; ':contact +32...' shares a phone "
        "number; ':quit' or Ctrl-D leaves. Files the bot sends are saved under --files.",
    )
    add_config_option(chat)
    chat.add_argument(
        "--database-url",
        default=None,
        help=f"store to use (default: DATABASE_URL, else {CHAT_DATABASE})",
    )
    chat.add_argument(
        "--as",
        dest="as_",
        choices=["participant", "facilitator"],
        default="participant",
        help="participant (default), or facilitator: rehearse table polls with simulated participants",
    )
    chat.add_argument("--user-id", type=whole(1), default=1_000_001, help="the participant's id in the store")
    chat.add_argument("--name", default="Console", help="the participant's first name")
    chat.add_argument(
        "--language", default=None, help="the participant's device language, e.g. fr or nl-BE (default: none)"
    )
    chat.add_argument(
        "--files", type=Path, default=Path("chat-files"), help="where files the bot sends are saved"
    )
    chat.set_defaults(handler=_chat)
