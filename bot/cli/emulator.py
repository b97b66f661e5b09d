"""`assembly-bot emulator`: the local Bot API emulator, served for manual trials."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import until_signal


async def _emulator(args: argparse.Namespace) -> None:
    from bot.emulator import serve_forever  # noqa: PLC0415 (only this command needs the server)

    await until_signal(serve_forever(args.host, args.port, args.token, args.username))


def register(commands: Any) -> None:
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
