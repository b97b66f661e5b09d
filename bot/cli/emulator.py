"""`assembly-bot emulator`: the local Bot API emulator for manual trials, and a user console for it.

`assembly-bot emulator` serves the Bot API and says which URL and token the bot should use;
`assembly-bot emulator --as-user NAME` (in another terminal) is a Telegram user of that emulator:
type messages, press buttons by number, share a phone number, vote in polls.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

from bot.cli.chat import stdin_lines
from bot.cli.common import CliError, until_signal
from bot.cli.options import whole

if TYPE_CHECKING:
    import aiohttp

HELP = (
    "Type a message or a /command; a number presses that button of the newest message; "
    "':contact +32...' shares a phone number; ':vote 1,3' answers the newest poll; ':quit' leaves."
)


def _first_update_id() -> int:
    """Seconds since 1970: a later emulator numbers updates above an earlier one's, so a store the bot
    kept from an earlier trial never takes new updates for ones it has seen."""
    return int(time.time())


async def _emulator(args: argparse.Namespace) -> None:
    if args.as_user:
        await _console(args)  # Ctrl-C leaves it like :quit
        return
    from bot.emulator import serve_forever  # noqa: PLC0415 (only this command needs the server)

    await until_signal(
        serve_forever(
            args.host, args.port, args.token, args.username, args.first_update_id or _first_update_id()
        )
    )


def _action(line: str) -> dict[str, Any] | None:
    """What a typed line asks the emulator to do as the user; None for an empty line."""
    if not line.strip():
        return None
    if line.strip().isdigit():
        return {"press": int(line)}
    if line.startswith(":contact "):
        return {"contact": line.removeprefix(":contact ").strip()}
    if line.startswith(":vote "):
        return {"vote": [int(n) - 1 for n in line.removeprefix(":vote ").replace(" ", "").split(",") if n]}
    return {"text": line}


def _show(message: dict[str, Any]) -> str:
    lines = [f"bot{' (edited)' if message['edited'] else ''}: {message['text']}"]
    if message["file"]:
        lines.append(f"  [file: {message['file']}]")
    for label_kind in ("buttons", "poll"):
        labels = message[label_kind] or []
        if labels:
            lines.append("  " + "  ".join(f"[{n}] {label}" for n, label in enumerate(labels, 1)))
    if message["reply_keyboard"]:
        lines.append("  keyboard: " + " | ".join(message["reply_keyboard"]))
    return "\n".join(lines)


async def _console(args: argparse.Namespace) -> None:
    """A user of a running emulator in this terminal; what the bot sends is printed as it arrives."""
    import aiohttp  # noqa: PLC0415 (only this command is an HTTP client)

    user = f"{args.url.rstrip('/')}/_emulator/users/{args.user_id}"
    profile = {"first_name": args.as_user, "language_code": args.language}
    seen: dict[int, int] = {}

    async def show_new(http: aiohttp.ClientSession) -> None:
        async with http.get(user, params={k: v for k, v in profile.items() if v}) as response:
            messages = (await response.json())["messages"]
        for message in messages:
            if seen.get(message["message_id"]) != message["edited"]:
                seen[message["message_id"]] = message["edited"]
                print(_show(message), flush=True)

    async def watch(http: aiohttp.ClientSession) -> None:
        while True:
            await show_new(http)
            await asyncio.sleep(0.5)

    async with aiohttp.ClientSession() as http:
        try:
            await show_new(http)
        except aiohttp.ClientError:
            raise CliError(
                f"no emulator answers at {args.url}; start one with `assembly-bot emulator`"
            ) from None
        print(f"You are {args.as_user} (user {args.user_id}) on {args.url}. {HELP}", flush=True)
        watcher = asyncio.create_task(watch(http))
        try:
            async for line in stdin_lines():
                if line.strip() == ":quit":
                    break
                action = _action(line)
                if action is None:
                    continue
                async with http.post(user, json=profile | action) as response:
                    answer = await response.json()
                if not answer["ok"]:
                    print(f"({answer['description']})", flush=True)
            await asyncio.sleep(1)  # the bot's last answers
            await show_new(http)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


def register(commands: Any) -> None:
    emulator = commands.add_parser(
        "emulator",
        help="run the local Bot API emulator for manual trials, or be a user of a running one",
        description="Serve a local Telegram Bot API emulator on loopback and print the URL and token "
        "to give the bot (TELEGRAM_API_URL, TELEGRAM_BOT_TOKEN). With --as-user NAME, be a Telegram "
        "user of an emulator already running at --url instead. " + HELP,
    )
    emulator.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    emulator.add_argument("--port", type=whole(1, 65535), default=8081, help="port (default: 8081)")
    emulator.add_argument(
        "--token", default="123456:EMULATOR-TOKEN", help="the bot token the emulator accepts"
    )
    emulator.add_argument("--username", default="assembly_demo_bot", help="the bot's username")
    emulator.add_argument(
        "--first-update-id",
        type=whole(1, 2**53),
        default=None,
        help="number of the first update (default: the current Unix time, above any earlier run's)",
    )
    console = emulator.add_argument_group("user console")
    console.add_argument("--as-user", metavar="NAME", help="be the Telegram user NAME of a running emulator")
    console.add_argument("--url", default="http://127.0.0.1:8081", help="the running emulator's URL")
    console.add_argument("--user-id", type=whole(1, 2**40), default=2_000_001, help="your user id")
    console.add_argument("--language", default=None, help="your Telegram language, e.g. fr or nl-BE")
    emulator.set_defaults(handler=_emulator)
