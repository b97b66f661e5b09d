"""Bare echo bots on aiogram and python-telegram-bot: the baseline every runtime figure is compared with.

Each answers every text with the same text and every button press with an empty answer, and does
nothing else: no store, no flows. `done` is set once `expect` messages have reached the handler,
before their replies are sent (as for the assembly bot, whose replies wait in the outbox); each then
awaits its reply, as an echo bot does. Presses are not counted: the burst times their answers.

    python -m bench.echo --runtime aiogram|ptb     (TELEGRAM_API_URL, TELEGRAM_BOT_TOKEN from the environment)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
from collections.abc import Awaitable
from typing import Any


class Counter:
    """Counts handled messages and sets `done` at `expect` (replies excluded); `replied` once the
    replies have gone too, so the bench stops the bot before the emulator, not mid-reply."""

    def __init__(self, expect: int = 0) -> None:
        self.expect, self.count, self.replies = expect, 0, 0
        self.done, self.replied = asyncio.Event(), asyncio.Event()

    async def handled(self, reply: Awaitable[Any]) -> None:
        self.count += 1
        if self.expect and self.count >= self.expect:
            self.done.set()
        await reply
        self.replies += 1
        if self.expect and self.replies >= self.expect:
            self.replied.set()


async def aiogram_echo(token: str, api_url: str, counter: Counter) -> None:
    """Poll and echo until cancelled."""
    # Each echo process imports its own framework only, so its memory is that framework's.
    from aiogram import Bot, Dispatcher  # noqa: PLC0415
    from aiogram.client.session.aiohttp import AiohttpSession  # noqa: PLC0415
    from aiogram.client.telegram import TelegramAPIServer  # noqa: PLC0415
    from aiogram.types import CallbackQuery, Message  # noqa: PLC0415

    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url.rstrip("/"))))
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await counter.handled(message.answer(message.text or "?"))

    @dispatcher.callback_query()
    async def press(query: CallbackQuery) -> None:
        await query.answer()

    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        await asyncio.shield(polling)
    finally:
        # Cancelling start_polling would leave its poller running; its stop signal ends it.
        if not polling.done():
            await dispatcher.stop_polling()
        await polling


async def ptb_echo(token: str, api_url: str, counter: Counter) -> None:
    """Poll and echo until cancelled."""
    from telegram import Update  # noqa: PLC0415
    from telegram.ext import (  # noqa: PLC0415
        Application,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is not None:
            await counter.handled(message.reply_text(message.text or "?"))

    async def press(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer()

    base = api_url.rstrip("/")
    application = Application.builder().token(token).base_url(f"{base}/bot").build()
    application.add_handler(MessageHandler(filters.ALL, echo))
    application.add_handler(CallbackQueryHandler(press))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            await asyncio.Event().wait()
        finally:
            await application.updater.stop()
            await application.stop()


ECHO = {"aiogram": aiogram_echo, "ptb": ptb_echo}
FRAMEWORK = {"aiogram": "aiogram", "ptb": "telegram.ext"}


def load(runtime: str) -> None:
    """Import the runtime's framework ahead (aiogram builds its models at import, for seconds), so
    that a timed run counts handling, as the assembly bot's, built before its clock starts, does."""
    importlib.import_module(FRAMEWORK[runtime])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", choices=sorted(ECHO), default="aiogram")
    args = parser.parse_args()
    token, url = os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TELEGRAM_API_URL"]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(ECHO[args.runtime](token, url, Counter()))


if __name__ == "__main__":
    main()
