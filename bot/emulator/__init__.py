"""A local Telegram Bot API emulator with simulated users, for tests and demos of the bot.

Typical use in a test::

    async with Emulator(token="123456:TEST-TOKEN", bot_username="assembly_test_bot") as emu:
        # point aiogram at TelegramAPIServer.from_base(emu.url), or PTB at emu.url + "/bot"
        user = emu.user(1001, first_name="Amélie", language_code="fr")
        await user.send_text("/start")
        [welcome] = await user.wait_for_messages(1)
        await user.press("Français")
"""

from __future__ import annotations

import asyncio

from bot.emulator.emulator import Emulator
from bot.emulator.errors import TelegramApiError
from bot.emulator.limits import Limits
from bot.emulator.records import ApiCall, Button, SentMessage
from bot.emulator.users import SimulatedUser

__all__ = [
    "ApiCall",
    "Button",
    "Emulator",
    "Limits",
    "SentMessage",
    "SimulatedUser",
    "TelegramApiError",
    "serve_forever",
]


async def serve_forever(
    host: str, port: int, token: str, bot_username: str, first_update_id: int = 1
) -> None:
    """Run an emulator until cancelled, for `assembly-bot emulator` and manual trials."""
    emulator = Emulator(token=token, bot_username=bot_username, first_update_id=first_update_id)
    await emulator.start(host, port)
    try:
        print(
            f"Bot API emulator for @{bot_username} listening on {emulator.url}, accepting the token {token}\n"
            f"Run the bot on it: TELEGRAM_API_URL={emulator.url} TELEGRAM_BOT_TOKEN={token} "
            "assembly-bot run\n"
            f"Be a user of it: assembly-bot emulator --as-user Alex --url {emulator.url} --language en",
            flush=True,
        )
        await asyncio.Event().wait()
    finally:
        await emulator.stop()
