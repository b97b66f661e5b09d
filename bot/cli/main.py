"""The `assembly-bot` command: one clear line and a non-zero exit for every operator mistake."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.adapters.clock import ManualClock
from bot.bootstrap import RUNTIMES, build_app, make_services
from bot.cli.common import CliError, read_assembly, read_settings, until_signal
from bot.cli.lottery import add_lottery_commands
from bot.cli.organiser import add_organiser_commands
from bot.cli.reports import add_report_commands
from bot.store.database import Database
from bot.telegram.api import ApiError, Transient, Unauthorized
from flows.events import Sender

CHAT_DATABASE = "sqlite+aiosqlite:///assembly-chat.sqlite"
"""`assembly-bot chat` keeps its own store unless told otherwise, so trials never mix with a real bot's."""


async def _run(args: argparse.Namespace) -> None:
    settings = read_settings()
    assembly = read_assembly(settings, args.config)
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        raise CliError("TELEGRAM_BOT_TOKEN is not set; create a bot with @BotFather and export its token", 2)
    try:
        app = await build_app(
            assembly=assembly,
            token=settings.telegram_bot_token.get_secret_value(),
            api_url=settings.telegram_api_url,
            database_url=settings.database_url,
            runtime=args.runtime,
            poll_timeout=settings.poll_timeout,
            dashboard_url=str(settings.dashboard_url) if settings.dashboard_url else None,
        )
    except Exception as error:
        if type(error).__name__ == "TokenValidationError":
            raise CliError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (<digits>:<secret>)", 2
            ) from None
        raise CliError(
            f"cannot open the database at DATABASE_URL ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:200]})"
        ) from None
    try:
        try:
            await app.runner.prepare()
        except Unauthorized:
            raise CliError("the Bot API refused TELEGRAM_BOT_TOKEN (401 Unauthorized)") from None
        except Transient:
            raise CliError(f"cannot reach the Bot API at {settings.telegram_api_url}") from None
        except ApiError as error:
            raise CliError(f"the Bot API refused to start the bot: {error}") from None
        logging.getLogger("bot").info(
            "running as @%s for assembly %s on %s", app.runner.username, assembly.id, args.runtime
        )
        await until_signal(app.runner.run())
    finally:
        await app.close()


async def _stdin_lines() -> AsyncIterator[str]:
    """Lines typed on standard input, read without blocking the event loop (a pipe, pty or file)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    except ValueError:  # a regular file cannot be watched; it never blocks for long either
        for line in sys.stdin:
            yield line.rstrip("\n")
        return
    while line := await reader.readline():
        yield line.decode("utf-8", "replace").rstrip("\r\n")


async def _chat(args: argparse.Namespace) -> None:
    from rich.console import Console  # noqa: PLC0415 (only this command needs the terminal UI)

    from bot.console.chat import ConsoleChat  # noqa: PLC0415

    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = read_settings()
    assembly = read_assembly(settings, args.config)
    facilitating = args.as_ == "facilitator"
    with tempfile.TemporaryDirectory(prefix="assembly-rehearsal-") as scratch:
        # A rehearsal seeds people and a role: it gets a throw-away store unless one is named.
        fallback = (
            f"sqlite+aiosqlite:///{Path(scratch) / 'rehearsal.sqlite'}" if facilitating else CHAT_DATABASE
        )
        url = args.database_url or (None if facilitating else os.environ.get("DATABASE_URL")) or fallback
        db = Database(url)
        try:
            await db.migrate()
        except Exception as error:
            raise CliError(f"cannot open the database at {url} ({type(error).__name__})") from None
        console = Console(highlight=False)
        sender = Sender(args.user_id, args.user_id, args.name, args.language)
        clock = None
        if facilitating:
            first = assembly.sessions[0]
            clock = ManualClock(assembly.start_of(first) + timedelta(minutes=10))
        chat = ConsoleChat(db, make_services(assembly, clock), sender, console, args.files)
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
        lines = _stdin_lines()

        async def read_line() -> str | None:
            console.print("> ", end="", style="bold", markup=False)
            return await anext(lines, None)

        try:
            await until_signal(chat.run(read_line))
        finally:
            await db.dispose()


async def _demo(args: argparse.Namespace) -> None:
    from rich.console import Console  # noqa: PLC0415 (only this command needs the terminal UI)

    from bot.demo import DemoError, run_demo  # noqa: PLC0415

    # The progress lines say what happens; the scheduler's "skipped" notices (the demo's ticks are
    # 0.2 s) and the lottery library's chatter would only bury them.
    for name in ("alembic", "apscheduler", "bot", "sortition_algorithms", "sortition_algorithms_user"):
        logging.getLogger(name).setLevel(logging.ERROR)
    assembly = read_assembly(read_settings(), args.config)
    console = Console(highlight=False)
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


async def _emulator(args: argparse.Namespace) -> None:
    from bot.emulator import serve_forever  # noqa: PLC0415 (only this command needs the server)

    await until_signal(serve_forever(args.host, args.port, args.token, args.username))


def _runtime_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runtime",
        choices=list(RUNTIMES),
        default="aiogram",
        help="Telegram framework to run on: aiogram or ptb (python-telegram-bot) (default: aiogram)",
    )


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="assembly definition file (default: ASSEMBLY_CONFIG or the example)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assembly-bot",
        description="The citizens' assembly assistant: a multilingual Telegram bot.",
        epilog="Environment: TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, DATABASE_URL, ASSEMBLY_CONFIG, "
        "DASHBOARD_URL.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run the bot (long polling)",
        description="Run the bot against TELEGRAM_API_URL with long polling.",
    )
    _runtime_option(run)
    _config_option(run)
    run.set_defaults(handler=_run)

    chat = commands.add_parser(
        "chat",
        help="talk to the assistant as a participant in this terminal, without Telegram",
        description="Talk to the assistant as one participant: type messages and /commands; a "
        "number presses that button of the newest keyboard; ':contact +32...' shares a phone "
        "number; ':quit' or Ctrl-D leaves. Files the bot sends are saved under --files.",
    )
    _config_option(chat)
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
    chat.add_argument("--user-id", type=int, default=1_000_001, help="the participant's id in the store")
    chat.add_argument("--name", default="Console", help="the participant's first name")
    chat.add_argument(
        "--language", default=None, help="the participant's device language, e.g. fr or nl-BE (default: none)"
    )
    chat.add_argument(
        "--files", type=Path, default=Path("chat-files"), help="where files the bot sends are saved"
    )
    chat.set_defaults(handler=_chat)

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
    _runtime_option(demo)
    _config_option(demo)
    demo.set_defaults(handler=_demo)

    emulator = commands.add_parser(
        "emulator",
        help="run the local Bot API emulator for manual trials",
        description="Serve a local Telegram Bot API emulator on loopback; point "
        "TELEGRAM_API_URL at the URL it prints.",
    )
    emulator.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    emulator.add_argument("--port", type=int, default=8081, help="port (default: 8081)")
    emulator.add_argument(
        "--token", default="123456:EMULATOR-TOKEN", help="the bot token the emulator accepts"
    )
    emulator.add_argument("--username", default="assembly_demo_bot", help="the bot's username")
    emulator.set_defaults(handler=_emulator)
    add_organiser_commands(commands)
    add_lottery_commands(commands)
    add_report_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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
