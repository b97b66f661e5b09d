"""Organisers' results commands: `digest` (printed in the terminal), `export` (CSV, XLSX or JSON) and
`dashboard` (the read-only web dashboard)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.adapters.clock import SystemClock
from bot.adapters.i18n import Catalogs
from bot.cli.common import CliError, read_settings, until_signal, with_assembly
from bot.cli.organiser import open_store
from bot.dashboard.app import make_app
from bot.organiser.exports import FORMATS, export
from bot.store.read.digest import digest_data
from flows.digest.render import digest_text

console = Console()


def _dash(value: int | None) -> str:
    return "-" if value is None else str(value)


async def _digest(args: argparse.Namespace) -> None:
    async with open_store(args) as (db, assembly):
        language = args.language or assembly.fallback_language
        if language not in assembly.languages:
            raise CliError(
                f"--language {language} is not offered; choose from {', '.join(assembly.languages)}", 2
            )
        tr = Catalogs(assembly.languages, assembly.zone).for_language(language)
        async with db.transaction() as session:
            data = await digest_data(session, assembly.id, SystemClock().now())
    console.print(digest_text(assembly, tr, data), markup=False, highlight=False)
    strata = Table("feature", "value", "registered", "confirmed", "min", "max", "missing", title="quotas")
    for s in data.strata:
        missing = str(s.gap) if s.gap else ""
        strata.add_row(
            s.feature,
            s.value,
            str(s.registered),
            str(s.confirmed),
            _dash(s.min_seats),
            _dash(s.max_seats),
            missing,
        )
    console.print(strata)
    sessions = Table("session", "starts", "coming", "absent", "present", "late", title="sessions")
    for f in data.sessions:
        starts = f.starts_at.astimezone(assembly.zone)
        state = " (cancelled)" if f.cancelled else ""
        sessions.add_row(
            f.key + state,
            f"{starts:%Y-%m-%d %H:%M}",
            str(f.coming),
            str(f.absent),
            str(f.attended),
            str(f.late),
        )
    console.print(sessions)


async def _export(args: argparse.Namespace) -> None:
    async with open_store(args) as (db, assembly):
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as bar:
            tasks: dict[str, TaskID] = {}

            def start(totals: dict[str, int]) -> None:
                tasks.update({name: bar.add_task(name, total=total) for name, total in totals.items()})

            def tick(name: str, rows: int) -> None:
                bar.advance(tasks[name], rows)

            files = await export(
                db,
                assembly,
                args.format,
                args.out,
                include_personal=args.include_personal,
                on_start=start,
                tick=tick,
            )
    for path in files:
        console.print(f"wrote {path}", markup=False, highlight=False)
    if args.include_personal:
        console.print("This export holds personal data: store it safely and delete it when done.")


async def _forever() -> None:
    await asyncio.Event().wait()


async def _dashboard(args: argparse.Namespace) -> None:
    settings = read_settings()
    async with open_store(args) as (db, assembly):
        translations = Catalogs(assembly.languages, assembly.zone)
        secure = str(settings.dashboard_url or "").startswith("https://")
        app = make_app(db, assembly, translations, SystemClock(), secure_cookies=secure)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            try:
                await web.TCPSite(runner, args.host, args.port).start()
            except OSError as error:
                raise CliError(f"cannot listen on {args.host}:{args.port} ({error.strerror})") from None
            console.print(
                f"dashboard for {assembly.id} on http://{args.host}:{args.port}/ "
                f"(links from /dashboard point to {settings.dashboard_url or 'DASHBOARD_URL, unset'})",
                markup=False,
                highlight=False,
            )
            await until_signal(_forever())
        finally:
            await runner.cleanup()


def add_report_commands(commands: Any) -> None:
    """Register `digest`, `export` and `dashboard` on the `assembly-bot` sub-command parser."""
    digest = commands.add_parser(
        "digest",
        help="print the organisers' digest: registrations against quotas, RSVPs, attendance, delivery",
        description="Print today's digest for one assembly, computed from the store.",
    )
    with_assembly(digest)
    digest.add_argument("--language", metavar="LANG", help="language of the digest (default: the fallback)")
    digest.set_defaults(handler=_digest)

    exporter = commands.add_parser(
        "export",
        help="export the assembly's data as CSV, XLSX or JSON",
        description="Export participants (pseudonymous), answers, sessions, RSVPs, attendance and the "
        "quota comparison. Telegram ids, free-text and phone answers, accessibility notes and RSVP "
        "reasons are left out unless --include-personal is given.",
    )
    with_assembly(exporter)
    exporter.add_argument("--format", choices=FORMATS, default="csv", help="file format (default: csv)")
    exporter.add_argument("--out", type=Path, default=Path("exports"), help="directory (default: ./exports)")
    exporter.add_argument(
        "--include-personal", action="store_true", help="include personal data (handle with care)"
    )
    exporter.set_defaults(handler=_export)

    dashboard = commands.add_parser(
        "dashboard",
        help="serve the read-only web dashboard for facilitators and organisers",
        description="Serve the dashboard (overview, recruitment, sessions, polls, feedback) on HOST:PORT. "
        "Nobody sees anything without signing in through the one-time link the bot sends on /dashboard; "
        "set DASHBOARD_URL, for the bot, to the address browsers reach this server at (HTTPS in production, "
        "through a reverse proxy).",
    )
    with_assembly(dashboard)
    dashboard.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    dashboard.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    dashboard.set_defaults(handler=_dashboard)
