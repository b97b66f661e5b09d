"""`assembly-bot audit export`: the assembly's audit log as CSV (time, who, action, details as JSON)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.cli.common import Access, organiser_core
from bot.cli.options import add_assembly_options
from bot.store import audit

COLUMNS = ("at", "actor", "action", "detail")


async def _export(args: argparse.Namespace) -> None:
    async with organiser_core(args, Access.READ) as core:
        assembly_id = core.kit.assembly.id
        out: TextIO = sys.stdout if args.out is None else args.out.open("w", newline="", encoding="utf-8")
        try:
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            async with core.db.transaction() as session:
                async for entry in audit.entries(session, assembly_id):
                    writer.writerow(
                        (
                            entry.at.isoformat(),
                            entry.actor,
                            entry.action,
                            json.dumps(entry.detail, sort_keys=True),
                        )
                    )
                # Reading the log is itself an export, recorded after what it wrote.
                await audit.record(session, assembly_id, "export", actor=audit.operator(), format="audit-csv")
        finally:
            if out is not sys.stdout:
                out.close()


def register(commands: Any) -> None:
    group = commands.add_parser("audit", help="the audit log of privileged actions")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser(
        "export",
        help="write the audit log as CSV",
        description="Write every audit log row of the assembly, oldest first, as CSV: at, actor, action, "
        "detail (JSON).",
    )
    add_assembly_options(export)
    export.add_argument("--out", type=Path, default=None, help="the CSV file (default: standard output)")
    export.set_defaults(handler=_export)
