"""The `assembly-bot` command: one clear line and a non-zero exit for every operator mistake."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import logging
import re
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.bootstrap import RUNTIMES, build_app
from bot.config import ConfigError, load_assembly
from bot.i18n import Catalogs
from bot.lottery.confirmations import expire_overdue
from bot.lottery.options import ALGORITHMS, DrawError, new_seed
from bot.runtime.api import ApiError, Transient, Unauthorized
from bot.settings import Settings
from bot.store import invitations
from bot.store.database import Database
from bot.store.models import utcnow
from bot.store.participants import ensure_assembly
from flows.assembly import Assembly

MAX_INVITES = 100_000


class CliError(Exception):
    """Printed as `assembly-bot: error: <message>`, exit status 2 (usage) or 1 (runtime)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        detail = error.errors()[0]
        name = str(detail["loc"][0]).upper() if detail["loc"] else "environment"
        raise CliError(f"{name}: {detail['msg']}", 2) from None


def _assembly(settings: Settings, path: Path | None) -> Any:
    try:
        return load_assembly(path or settings.assembly_config)
    except ConfigError as error:
        raise CliError(str(error), 2) from None


async def _run(args: argparse.Namespace) -> None:
    settings = _settings()
    assembly = _assembly(settings, args.config)
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
        await _until_signal(app.runner.run())
    finally:
        await app.close()


async def _until_signal(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` until it ends or SIGINT/SIGTERM arrives, then cancel it cleanly."""
    task = asyncio.create_task(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _for_assembly(args: argparse.Namespace) -> tuple[Settings, Assembly]:
    """The settings and the assembly named by --assembly, which must be the configured one."""
    settings = _settings()
    assembly: Assembly = _assembly(settings, args.config)
    if args.assembly != assembly.id:
        where = args.config or settings.assembly_config
        raise CliError(
            f"--assembly '{args.assembly}' is not the assembly defined in {where} ('{assembly.id}')", 2
        )
    if assembly.registration is None:
        raise CliError(f"assembly '{assembly.id}' has no registration section in its definition", 2)
    return settings, assembly


async def _database(settings: Settings, assembly: Assembly) -> Database:
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


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"'{value}' must be 1 or more")
    return number


async def _invites(args: argparse.Namespace) -> None:
    settings, assembly = _for_assembly(args)
    username = (args.bot_username or assembly.bot_username).lstrip("@")
    if not re.fullmatch(r"[A-Za-z0-9_]{5,32}", username):
        raise CliError(
            "give the bot's Telegram username with --bot-username (or bot_username in the assembly)", 2
        )
    if args.count > MAX_INVITES:
        raise CliError(f"--count {args.count} is more than {MAX_INVITES} at once", 2)
    if args.out is not None and args.out.exists():
        raise CliError(f"{args.out} already exists; codes cannot be recovered, so it is never overwritten", 2)
    expires = utcnow() + timedelta(days=args.expires_days) if args.expires_days else None
    db = await _database(settings, assembly)
    try:
        rows = [["code", "link", "expires_at"]]
        async with db.transaction() as session:
            codes = invitations.create(session, assembly.id, args.count, expires)
            rows += [
                [code, f"https://t.me/{username}?start={code}", expires.isoformat() if expires else ""]
                for code in codes
            ]
            output = io.StringIO()
            csv.writer(output).writerows(rows)
            if args.out is None:
                sys.stdout.write(output.getvalue())
            else:
                try:
                    args.out.write_text(output.getvalue(), encoding="utf-8")
                except OSError as error:
                    raise CliError(f"cannot write {args.out}: {error.strerror}") from None
    finally:
        await db.dispose()
    if args.out is not None:
        print(f"{args.count} invitation codes written to {args.out}", file=sys.stderr)


async def _select(args: argparse.Namespace) -> None:
    settings, assembly = _for_assembly(args)
    seed = args.seed if args.seed is not None else new_seed()
    if seed == 0:
        raise CliError("--seed 0 would make the draw unrepeatable; give another number", 2)
    from bot.lottery.selection import run_selection  # noqa: PLC0415 (the solver stack is heavy to import)

    db = await _database(settings, assembly)
    try:
        outcome = await run_selection(
            db,
            assembly,
            Catalogs(assembly.languages, assembly.zone),
            seats=args.seats,
            seed=seed,
            algorithm=args.algorithm,
            reserves=args.seats if args.reserves is None else args.reserves,
            now=utcnow(),
        )
    except DrawError as error:
        raise CliError(f"the draw was not made, nothing changed:\n{error}") from None
    finally:
        await db.dispose()
    draw = outcome.draw
    if draw.note:
        print(f"note: {draw.note}")
    print(
        f"draw {outcome.selection_id}: {len(draw.selected)} drawn and {len(draw.reserves)} reserves from"
        f" {outcome.pool} complete registrations, algorithm {draw.algorithm}, seed {draw.seed}"
        f" (the same seed and data give the same draw)."
    )
    print(
        f"Confirmation deadline: {outcome.deadline.isoformat()}."
        " Messages are queued; `assembly-bot run` sends them."
    )


async def _expire(args: argparse.Namespace) -> None:
    settings, assembly = _for_assembly(args)
    db = await _database(settings, assembly)
    try:
        async with db.transaction() as session:
            closed = await expire_overdue(session, assembly, utcnow())
    finally:
        await db.dispose()
    print(
        f"{closed} overdue confirmation(s) closed; their seats were offered to reserves where any were left."
    )


async def _emulator(args: argparse.Namespace) -> None:
    from bot.emulator import serve_forever  # noqa: PLC0415 (only this command needs the server)

    await _until_signal(serve_forever(args.host, args.port, args.token, args.username))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assembly-bot",
        description="The citizens' assembly assistant: a multilingual Telegram bot.",
        epilog="Environment: TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, DATABASE_URL, ASSEMBLY_CONFIG.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run the bot (long polling)",
        description="Run the bot against TELEGRAM_API_URL with long polling.",
    )
    run.add_argument(
        "--runtime",
        choices=RUNTIMES,
        default="aiogram",
        help="Telegram framework to run on (default: aiogram)",
    )
    run.add_argument(
        "--config",
        type=Path,
        default=None,
        help="assembly definition file (default: ASSEMBLY_CONFIG or the example)",
    )
    run.set_defaults(handler=_run)

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
    _lottery_commands(commands)
    return parser


def _with_assembly(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--assembly", required=True, metavar="ID", help="the assembly's id (checked)")
    parser.add_argument(
        "--config", type=Path, default=None, help="assembly definition file (default: ASSEMBLY_CONFIG)"
    )


def _lottery_commands(commands: Any) -> None:
    invites = commands.add_parser("invites", help="invitation codes for registration")
    invites_commands = invites.add_subparsers(dest="invites_command", required=True, metavar="ACTION")
    create = invites_commands.add_parser(
        "create",
        help="create single-use invitation codes and their deep links (CSV)",
        description="Create single-use codes, stored hashed, and write code,link,expires_at as CSV.",
    )
    _with_assembly(create)
    create.add_argument("--count", type=_positive, required=True, help="how many codes")
    create.add_argument("--expires-days", type=_positive, default=None, help="days until the codes expire")
    create.add_argument("--out", type=Path, default=None, help="CSV file to write (default: standard output)")
    create.add_argument(
        "--bot-username", default="", help="the bot's username for the links (default: bot_username)"
    )
    create.set_defaults(handler=_invites)

    draw = commands.add_parser(
        "select",
        help="draw the assembly by stratified lottery",
        description="Draw SEATS people from the complete registrations, meeting the quotas; store the "
        "draw, the reserves, the seed and the report, and queue the messages to everyone in the pool.",
    )
    _with_assembly(draw)
    draw.add_argument("--seats", type=_positive, required=True, help="how many people to draw")
    draw.add_argument(
        "--seed", type=int, default=None, help="random seed for a repeatable draw (default: random)"
    )
    draw.add_argument(
        "--algorithm", choices=ALGORITHMS, default="maximin", help="selection algorithm (default: maximin)"
    )
    draw.add_argument("--reserves", type=int, default=None, help="size of the reserve list (default: seats)")
    draw.set_defaults(handler=_select)

    confirmations = commands.add_parser("confirmations", help="seat confirmations after the draw")
    confirmation_commands = confirmations.add_subparsers(
        dest="confirmations_command", required=True, metavar="ACTION"
    )
    expire = confirmation_commands.add_parser(
        "expire",
        help="offer the seats of people past their confirmation deadline to reserves",
        description="Close every confirmation past its deadline and ask the best-matching reserve instead.",
    )
    _with_assembly(expire)
    expire.set_defaults(handler=_expire)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("aiogram").setLevel(logging.WARNING)
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
