"""Organisers' results commands: `digest` (printed in the terminal) and `export` (CSV, XLSX or JSON)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.common import Access, CliError, organiser_core, writable_folder
from bot.cli.options import add_assembly_options
from bot.organiser.exports import FORMATS, export
from bot.store.read.digest import digest_data
from flows.digest.render import digest_text


async def _digest(args: argparse.Namespace) -> None:
    from rich.console import Console  # noqa: PLC0415 (rich loads only when printing)

    async with organiser_core(args, Access.READ) as core:
        assembly = core.kit.assembly
        language = args.language or assembly.fallback_language
        if language not in assembly.languages:
            raise CliError(
                f"--language {language} is not offered; choose from {', '.join(assembly.languages)}", 2
            )
        tr = core.kit.translations.for_language(language)
        async with core.db.transaction() as session:
            data = await digest_data(session, assembly.id, core.kit.clock.now())
    # One language throughout: the digest's own text, as organisers receive it in Telegram.
    Console().print(digest_text(assembly, tr, data), markup=False, highlight=False)


async def _export(args: argparse.Namespace) -> None:
    from rich.console import Console  # noqa: PLC0415 (rich loads only when printing)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn  # noqa: PLC0415 (rich loads only when printing)

    writable_folder(args.out)
    console = Console()
    async with organiser_core(args, Access.READ) as core:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as bar:
            tasks: dict[str, TaskID] = {}

            def start(totals: dict[str, int]) -> None:
                tasks.update({name: bar.add_task(name, total=total) for name, total in totals.items()})

            def tick(name: str, rows: int) -> None:
                bar.advance(tasks[name], rows)

            files = await export(
                core.db,
                core.kit.assembly,
                args.format,
                args.out,
                include_personal=args.include_personal,
                include_comments=args.include_comments,
                translations=core.kit.translations,
                on_start=start,
                tick=tick,
            )
    for path in files:
        console.print(f"wrote {path}", markup=False, highlight=False)
    if args.include_personal:
        console.print("This export holds personal data: store it safely and delete it when done.")


def register(commands: Any) -> None:
    digest = commands.add_parser(
        "digest",
        help="print the organisers' digest: registrations against quotas, RSVPs, attendance, delivery",
        description="Print today's digest for one assembly, computed from the store.",
    )
    add_assembly_options(digest)
    digest.add_argument("--language", metavar="LANG", help="language of the digest (default: the fallback)")
    digest.set_defaults(handler=_digest)

    exporter = commands.add_parser(
        "export",
        help="export the assembly's data as CSV, XLSX or JSON",
        description="Export participants (pseudonymous), answers, sessions, RSVPs, attendance, the "
        "quota comparison, poll results (as the dashboard shows them) and feedback ratings. Telegram "
        "ids, free-text and phone answers, accessibility notes and RSVP reasons are left out unless "
        "--include-personal is given; comments and open-text poll answers need --include-comments.",
    )
    add_assembly_options(exporter)
    exporter.add_argument("--format", choices=FORMATS, default="csv", help="file format (default: csv)")
    exporter.add_argument("--out", type=Path, default=Path("exports"), help="directory (default: ./exports)")
    exporter.add_argument(
        "--include-personal", action="store_true", help="include personal data (handle with care)"
    )
    exporter.add_argument(
        "--include-comments",
        action="store_true",
        help="include free-text feedback comments and open-text poll answers",
    )
    exporter.set_defaults(handler=_export)
