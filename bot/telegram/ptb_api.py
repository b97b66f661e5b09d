"""The python-telegram-bot 22 adapter: Bot API calls through PTB's own `Bot`, request layer and types.

Only `telegram.Bot` is used, not `Application`/`Updater`: their polling loop confirms an update
(through its `update_queue`) before the handler has finished, which would break the runner's
exactly-once promise.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, TypeVar

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.store.updates import Received
from bot.telegram.api import Blocked, Delivery, Rejected, RetryLater, Transient, Unauthorized
from bot.telegram.inbound import ALLOWED_UPDATES, received
from bot.telegram.outbound import BotAdapter
from bot.telegram.ptb_request import AiohttpRequest
from flows import actions as act

T = TypeVar("T")

CONNECTIONS = 16
"""Calls in flight at once, each on a connection of its own (`AiohttpRequest`): a burst's button
answers go out side by side over real Telegram's round trips. Further calls wait in `perform`."""


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` is an int (PTB 22 default) or a timedelta (with PTB_TIMEDELTA=1, and PTB 23)."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PtbApi(BotAdapter):
    """Implements `TelegramApi` with a real `telegram.Bot` pointed at `api_url`."""

    bot: Bot
    name = "ptb"

    def __init__(self, token: str, api_url: str, request_timeout: float = 30.0) -> None:
        # PTB 22's own RetryAfter constructor reads its int-valued `retry_after`, which warns on every
        # 429. Opting in to timedeltas (PTB_TIMEDELTA) would change PTB process-wide, messages
        # included; `retry_seconds` takes both types, so silence exactly this warning instead.
        warnings.filterwarnings(
            "ignore", message=r".*attribute `retry_after`", category=PTBDeprecationWarning
        )
        base = api_url.rstrip("/")
        self.request_timeout = request_timeout
        self._requests = (
            # PTB's default pool is one connection: every call, button answers included, would
            # queue behind the one in flight (a burst of presses waited seconds for their answers).
            # pool_timeout only bounds a wait that `perform` leaves to a call made some other way.
            AiohttpRequest(
                connections=CONNECTIONS,
                read_timeout=request_timeout,
                connect_timeout=10.0,
                pool_timeout=request_timeout,
            ),
            # PTB adds the long-poll timeout to this read timeout for getUpdates.
            AiohttpRequest(connections=1, read_timeout=10.0),
        )
        self.bot = Bot(
            token,
            base_url=base + "/bot",
            base_file_url=base + "/file/bot",
            request=self._requests[0],
            get_updates_request=self._requests[1],
        )
        self._calls = asyncio.Semaphore(CONNECTIONS)

    async def perform(self, action: act.Action) -> Delivery:
        """One call on a free connection (see `CONNECTIONS`)."""
        async with self._calls:
            return await super().perform(action)

    async def _call(self, call: Awaitable[T], timeout: float | None = None) -> T:
        # PTB's exceptions subclass each other (BadRequest and TimedOut are NetworkErrors),
        # so the specific ones come first.
        try:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for drops a cancellation that
            # arrives as the call completes, and the cancelled loop then runs on for ever.
            async with asyncio.timeout(timeout or self.request_timeout):
                return await call
        except RetryAfter as error:
            raise RetryLater(retry_seconds(error)) from None
        except Forbidden as error:
            raise Blocked(error.message) from None
        except InvalidToken:
            # PTB's own text for a refused token repeats the token: never pass it on.
            raise Unauthorized("the Bot API refused the token") from None
        except (BadRequest, ChatMigrated) as error:
            raise Rejected(error.message) from None
        except (NetworkError, TimeoutError) as error:
            raise Transient(type(error).__name__) from None
        except TelegramError as error:
            raise Transient(error.message) from None

    async def identity(self) -> tuple[int, str]:
        """`Bot.initialize()` opens the HTTP clients and caches getMe, as PTB expects before use."""
        await self._call(self.bot.initialize())
        return self.bot.id, self.bot.username

    async def get_updates(self, offset: int | None, timeout: int) -> list[Received]:
        updates = await self._call(
            self.bot.get_updates(offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES),
            timeout=timeout + 15,
        )
        return [received(update) for update in updates]

    def parse_update(self, data: dict[str, Any]) -> Received:
        update = Update.de_json(data, self.bot)
        if update is None:
            raise ValueError("not an update")
        return received(update)

    @staticmethod
    def _inline(buttons: act.Keyboard) -> InlineKeyboardMarkup | None:
        if not buttons:
            return None
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in buttons]
        )

    @staticmethod
    def _contact_request(label: str) -> ReplyKeyboardMarkup:
        button = KeyboardButton(label, request_contact=True)
        return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)

    @staticmethod
    def _remove_keyboard() -> ReplyKeyboardRemove:
        return ReplyKeyboardRemove()

    async def _upload(self, action: act.SendPhoto | act.SendDocument) -> int:
        upload = self.bot.send_photo if isinstance(action, act.SendPhoto) else self.bot.send_document
        sent = await self._call(
            upload(action.chat_id, action.data, caption=action.caption or None, filename=action.filename)
        )
        return sent.message_id

    async def set_commands(
        self, commands: list[tuple[str, str]], language: str | None, chat_id: int | None = None
    ) -> None:
        await self._call(
            self.bot.set_my_commands(
                [BotCommand(name, text) for name, text in commands],
                scope=BotCommandScopeChat(chat_id)
                if chat_id is not None
                else BotCommandScopeAllPrivateChats(),
                language_code=language,
            )
        )

    async def close(self) -> None:
        # Bot.shutdown() skips the HTTP clients when initialize() failed (a refused token) and
        # would leave their connections open; closing a closed client does nothing.
        await self.bot.shutdown()
        await asyncio.gather(*(request.shutdown() for request in self._requests))
