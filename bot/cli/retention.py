"""`assembly-bot retention`: erase personal data once the definition's retention period is over."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import Access, CliError, organiser_core
from bot.cli.options import add_assembly_options
from bot.jobs.retention import erase_past_retention


async def _retention(args: argparse.Namespace) -> None:
    async with organiser_core(args, Access.READ if args.dry_run else Access.WRITE) as core:
        assembly = core.kit.assembly
        outcome = await erase_past_retention(core.db, assembly, core.kit.clock.now(), dry_run=args.dry_run)
    if outcome.due is None:
        raise CliError(
            f"assembly {assembly.id} sets no retention period (retention.after_last_session_days) "
            "or has no session to count from",
            2,
        )
    due = f"{outcome.due.astimezone(assembly.zone):%Y-%m-%d %H:%M} ({assembly.timezone})"
    if not outcome.reached:
        print(
            f"Personal data is erased from {due}; {outcome.people} people hold some today. "
            "Nothing was erased."
        )
    elif args.dry_run:
        print(f"The retention period ended {due}: {outcome.people} people would be erased now (dry run).")
    else:
        print(
            f"The retention period ended {due}: personal data of {outcome.people} people erased; "
            "anonymous counts are kept."
        )


def register(commands: Any) -> None:
    retention = commands.add_parser(
        "retention",
        help="erase personal data once the retention period is over (the running bot does it hourly)",
        description="Erase the personal data of everyone in the assembly once the definition's "
        "retention period after the last session has passed, keeping anonymous counts (statuses, "
        "RSVPs, attendance, votes, ratings). --dry-run only says when and how many.",
    )
    add_assembly_options(retention)
    retention.add_argument("--dry-run", action="store_true", help="say what would be erased; change nothing")
    retention.set_defaults(handler=_retention)
