"""The lottery's commands: `invites create`, `select` (and `select --verify`), `lottery-report`,
`confirmations expire`.

They work on the store directly; messages they produce go to the outbox for the running bot.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.common import CliError, assembly_for, bot_username, open_core, write_out
from bot.cli.options import add_assembly_options, add_bot_username_option, whole
from bot.organiser.lottery.confirmations import expire_overdue
from bot.organiser.lottery.options import ALGORITHMS, DrawError, new_seed
from bot.settings import Settings
from bot.store import audit, invitations
from flows.assembly import Assembly
from flows.numbers import ROW_ID_MAX

if TYPE_CHECKING:
    from bot.organiser.lottery.transparency import Report

MAX_INVITES = 100_000


def _for_assembly(args: argparse.Namespace) -> tuple[Settings, Assembly]:
    settings, assembly = assembly_for(args)
    if assembly.registration is None:
        raise CliError(f"assembly '{assembly.id}' has no registration section in its definition", 2)
    return settings, assembly


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
        write_out(args.out, output.getvalue())
    if args.out is not None:
        print(f"{args.count} invitation codes written to {args.out}", file=sys.stderr)


async def _select(args: argparse.Namespace) -> None:
    settings, assembly = _for_assembly(args)
    if args.verify:
        await _verify(args, settings, assembly)
        return
    if args.seats is None:
        raise CliError("give the panel size with --seats (or --verify to check a recorded draw)", 2)
    seed = args.seed if args.seed is not None else new_seed()
    if seed == 0:
        raise CliError("--seed 0 would make the draw unrepeatable; give another number", 2)
    if args.report is not None and args.report.exists():
        raise CliError(f"{args.report} already exists; give another file for the report", 2)
    from bot.organiser.lottery.selection import run_selection  # noqa: PLC0415 (the solver stack is heavy to import)

    async with open_core(settings, assembly) as core, _progress_bar("drawing") as progress:
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
                progress=progress,
            )
        except DrawError as error:
            raise CliError(f"the draw was not made, nothing changed:\n{error}") from None
    draw = outcome.draw
    print(
        f"draw {outcome.selection_id}: {len(draw.selected)} drawn and {len(draw.reserves)} reserves from"
        f" {outcome.pool} complete registrations, algorithm {draw.algorithm}, seed {draw.seed}"
        f" (the same seed and data give the same draw)."
    )
    _print_chances(outcome.report)
    print(
        f"Confirmation deadline: {outcome.deadline.astimezone(assembly.zone):%Y-%m-%d %H:%M %Z}."
        " Messages are queued; `assembly-bot run` sends them."
    )
    if args.report is not None:
        _write(args.report, outcome.report.csv())
        print(f"Transparency report written to {args.report}.")


def _print_chances(report: Report) -> None:
    if not report.has_chances:
        print(f"Chances: {report.algorithm} does not compute each person's chance.")
        return
    low, median, high = report.spread()
    gap = "" if report.gap is None else f" (the lowest proven optimal within {report.gap:.1e})"
    print(f"Chance of being drawn: minimum {low:.4%}, median {median:.4%}, maximum {high:.4%}{gap}.")
    print("Lowest chances:")
    for profile in report.lowest():
        print(f"  {profile.probability or 0.0:.4%}  {report.describe(profile)} ({profile.people} people)")


async def _verify(args: argparse.Namespace, settings: Settings, assembly: Assembly) -> None:
    from bot.organiser.lottery.selection import verify_draw  # noqa: PLC0415 (the solver stack is heavy to import)

    async with open_core(settings, assembly) as core, _progress_bar("drawing again") as progress:
        try:
            verification = await verify_draw(core.db, assembly, args.draw, progress)
        except DrawError as error:
            raise CliError(f"the draw could not be verified:\n{error}") from None
    if not verification.same:
        raise CliError(f"draw {verification.selection_id} NOT verified: " + "; ".join(verification.problems))
    print(f"draw {verification.selection_id} verified: drawn again, the same panel and the same reserves.")


async def _report(args: argparse.Namespace) -> None:
    settings, assembly = _for_assembly(args)
    from bot.organiser.lottery.selection import stored_report  # noqa: PLC0415 (the solver stack is heavy to import)

    async with open_core(settings, assembly) as core:
        try:
            report = await stored_report(core.db, assembly, args.draw)
        except DrawError as error:
            raise CliError(str(error)) from None
    text = report.csv()
    if args.out is None:
        sys.stdout.write(text)
    else:
        _write(args.out, text)
        print(f"Transparency report of draw {report.selection_id} written to {args.out}.", file=sys.stderr)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from None


@contextlib.asynccontextmanager
async def _progress_bar(title: str) -> AsyncIterator[Callable[[str], None]]:
    """A live line on standard error while the worker draws: the solver's latest round and the time."""
    from rich.console import Console  # noqa: PLC0415 (rich loads only when printing)
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn  # noqa: PLC0415 (rich loads only when printing)

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(title, total=None)
        yield lambda line: bar.update(task, description=f"{title}: {line}")


async def _expire(args: argparse.Namespace) -> None:
    settings, assembly = _for_assembly(args)
    async with open_core(settings, assembly) as core, core.db.transaction() as session:
        closed = await expire_overdue(
            session, assembly, core.kit.clock.now(), core.kit.translations, actor=audit.operator()
        )
    print(
        f"{closed} overdue confirmation(s) closed; their seats were offered to reserves where any were left."
    )


def register(commands: Any) -> None:
    """Register `invites`, `select`, `lottery-report` and `confirmations` on the sub-command parser."""
    invites = commands.add_parser("invites", help="invitation codes for registration")
    invites_commands = invites.add_subparsers(dest="invites_command", required=True, metavar="ACTION")
    create = invites_commands.add_parser(
        "create",
        help="create single-use invitation codes and their deep links (CSV)",
        description="Create single-use codes, stored hashed, and write code,link,expires_at as CSV.",
    )
    add_assembly_options(create)
    create.add_argument("--count", type=whole(1, ROW_ID_MAX), required=True, help="how many codes")
    create.add_argument(
        "--expires-days", type=whole(1, 3650), default=None, help="days until the codes expire"
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
    draw.add_argument("--seats", type=whole(1, ROW_ID_MAX), default=None, help="how many people to draw")
    draw.add_argument(
        "--seed",
        type=whole(1, ROW_ID_MAX),
        default=None,
        help="random seed for a repeatable draw (default: random)",
    )
    draw.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        default="maximin",
        help="maximin or leximin (ours, over profiles) or the library's own (library-...); default maximin",
    )
    draw.add_argument(
        "--reserves",
        type=whole(0, ROW_ID_MAX),
        default=None,
        help="size of the reserve list (default: seats)",
    )
    draw.add_argument(
        "--report", type=Path, default=None, metavar="FILE.csv", help="write the draw's transparency report"
    )
    draw.add_argument(
        "--verify", action="store_true", help="draw a recorded draw again and check it gives the same panel"
    )
    draw.add_argument(
        "--draw", type=whole(1, ROW_ID_MAX), default=None, help="the draw to --verify (default: the latest)"
    )
    draw.set_defaults(handler=_select)

    report = commands.add_parser(
        "lottery-report",
        help="the transparency report of a draw (CSV)",
        description="Write a recorded draw's transparency report: per profile (no names) its size and "
        "chance, with the quotas, seed, algorithm, versions and input hash.",
    )
    add_assembly_options(report)
    report.add_argument(
        "--draw", type=whole(1, ROW_ID_MAX), default=None, help="the draw (default: the latest)"
    )
    report.add_argument("--out", type=Path, default=None, help="CSV file to write (default: standard output)")
    report.set_defaults(handler=_report)

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
