"""`assembly-bot dashboard`: the read-only web dashboard for facilitators and organisers."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.cli.common import Access, CliError, organiser_core, read_settings, until_signal
from bot.cli.options import add_assembly_options, whole


async def _forever() -> None:
    await asyncio.Event().wait()


async def _dashboard(args: argparse.Namespace) -> None:
    from aiohttp import web  # noqa: PLC0415 (only this command serves pages)
    from rich.console import Console  # noqa: PLC0415

    from bot.dashboard.app import make_app  # noqa: PLC0415

    settings = read_settings()
    async with organiser_core(args, Access.READ) as core:
        runner = web.AppRunner(
            make_app(core.db, core.kit, secure_cookies=not args.plain_http), access_log=None
        )
        await runner.setup()
        try:
            try:
                await web.TCPSite(runner, args.host, args.port).start()
            except OSError as error:
                raise CliError(f"cannot listen on {args.host}:{args.port} ({error.strerror})") from None
            Console().print(
                f"dashboard for {core.kit.assembly.id} on http://{args.host}:{args.port}/ "
                f"(links from /dashboard point to {settings.dashboard_url or 'DASHBOARD_URL, unset'})",
                markup=False,
                highlight=False,
            )
            await until_signal(_forever())
        finally:
            await runner.cleanup()


def register(commands: Any) -> None:
    dashboard = commands.add_parser(
        "dashboard",
        help="serve the read-only web dashboard for facilitators and organisers",
        description="Serve the dashboard (overview, recruitment, sessions, polls, feedback) on HOST:PORT. "
        "Nobody sees anything without signing in through the one-time link the bot sends on /dashboard; "
        "set DASHBOARD_URL, for the bot, to the address browsers reach this server at (HTTPS in production, "
        "through a reverse proxy).",
    )
    add_assembly_options(dashboard)
    dashboard.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    dashboard.add_argument("--port", type=whole(1, 65535), default=8080, help="port (default: 8080)")
    dashboard.add_argument(
        "--plain-http",
        action="store_true",
        help="for a trial without HTTPS on another machine than this one: the sign-in cookie is sent "
        "unencrypted (without this flag it is marked Secure; browsers accept that on localhost)",
    )
    dashboard.set_defaults(handler=_dashboard)
