"""The lottery's commands: `invites create`, `select`, `confirmations expire`.

They work on the store directly; messages they produce go to the outbox for the running bot.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, assembly_for, bot_username, open_core
from bot.cli.options import add_assembly_options, add_bot_username_option, whole_number
from bot.organiser.lottery.confirmations import expire_overdue
from bot.organiser.lottery.options import ALGORITHMS, DrawError, new_seed
from bot.settings import Settings
from bot.store import invitations
from flows.assembly import Assembly

MAX_INVITES = 100_000


def _for_assembly(args: argparse.Namespace) -> tuple[Settings, Assembly]:
    settings, assembly = assembly_for(args)
    if assembly.registration is None:
        raise CliError(f"assembly '{assembly.id}' has no registration section in its definition", 2)
    return settings, assembly


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
    username = await bot_username(args.bot_username, assembly)
    if args.count > MAX_INVITES:
        raise CliError(f"--count {args.count} is more than {MAX_INVITES} at once", 2)
    if args.out is not None and args.out.exists():
        raise CliError(f"{args.out} already exists; codes cannot be recovered, so it is never overwritten", 2)
    async with open_core(settings, assembly) as core, core.db.transaction() as session:
        now = core.kit.clock.now()
        expires = now + timedelta(days=args.expires_days) if args.expires_days else None
        codes = invitations.create(session, assembly.id, args.count, expires)
        rows = [["code", "link", "expires_at"]]
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
    if args.out is not None:
        print(f"{args.count} invitation codes written to {args.out}", file=sys.stderr)


async def _select(args: argparse.Namespace) -> None:
    settings, assembly = _for_assembly(args)
    seed = args.seed if args.seed is not None else new_seed()
    if seed == 0:
        raise CliError("--seed 0 would make the draw unrepeatable; give another number", 2)
    from bot.organiser.lottery.selection import run_selection  # noqa: PLC0415 (the solver stack is heavy to import)

    async with open_core(settings, assembly) as core:
        try:
            outcome = await run_selection(
                core.db,
                assembly,
                core.kit.translations,
                seats=args.seats,
                seed=seed,
                algorithm=args.algorithm,
                reserves=args.seats if args.reserves is None else args.reserves,
                now=core.kit.clock.now(),
            )
        except DrawError as error:
            raise CliError(f"the draw was not made, nothing changed:\n{error}") from None
    draw = outcome.draw
    if draw.note:
        print(f"note: {draw.note}")
    print(
        f"draw {outcome.selection_id}: {len(draw.selected)} drawn and {len(draw.reserves)} reserves from"
        f" {outcome.pool} complete registrations, algorithm {draw.algorithm}, seed {draw.seed}"
        f" (the same seed and data give the same draw)."
    )
    print(
        f"Confirmation deadline: {outcome.deadline.astimezone(assembly.zone):%Y-%m-%d %H:%M %Z}."
        " Messages are queued; `assembly-bot run` sends them."
    )


async def _expire(args: argparse.Namespace) -> None:
    settings, assembly = _for_assembly(args)
    async with open_core(settings, assembly) as core, core.db.transaction() as session:
        closed = await expire_overdue(session, assembly, core.kit.clock.now(), core.kit.translations)
    print(
        f"{closed} overdue confirmation(s) closed; their seats were offered to reserves where any were left."
    )


def register(commands: Any) -> None:
    """Register `invites`, `select` and `confirmations` on the `assembly-bot` sub-command parser."""
    invites = commands.add_parser("invites", help="invitation codes for registration")
    invites_commands = invites.add_subparsers(dest="invites_command", required=True, metavar="ACTION")
    create = invites_commands.add_parser(
        "create",
        help="create single-use invitation codes and their deep links (CSV)",
        description="Create single-use codes, stored hashed, and write code,link,expires_at as CSV.",
    )
    add_assembly_options(create)
    create.add_argument("--count", type=_positive, required=True, help="how many codes")
    create.add_argument(
        "--expires-days", type=whole_number(1, 3650), default=None, help="days until the codes expire"
    )
    create.add_argument("--out", type=Path, default=None, help="CSV file to write (default: standard output)")
    add_bot_username_option(create)
    create.set_defaults(handler=_invites)

    draw = commands.add_parser(
        "select",
        help="draw the assembly by stratified lottery",
        description="Draw SEATS people from the complete registrations, meeting the quotas; store the "
        "draw, the reserves, the seed and the report, and queue the messages to everyone in the pool.",
    )
    add_assembly_options(draw)
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
    add_assembly_options(expire)
    expire.set_defaults(handler=_expire)
