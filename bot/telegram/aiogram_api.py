"""The aiogram 3 adapter: Bot API calls and update translation through aiogram's own types."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.store.updates import Received
from bot.telegram.api import (
    Blocked,
    Rejected,
    RetryLater,
    Transient,
    Unauthorized,
)
from bot.telegram.inbound import ALLOWED_UPDATES, received
from bot.telegram.outbound import BotAdapter
from flows import actions as act

T = TypeVar("T")


@functools.cache
def _response_type(returning: Any) -> type[Response[Any]]:
    """`Response[returning]`, kept. pydantic caches a parametrised model only while something else
    refers to it, and aiogram refers to it only during a call: each garbage collection dropped the
    types, and the next call of each method built its validator again (a few milliseconds for
    `Response[Message]`, a third of the CPU time of a `sendMessage` in a busy bot)."""
    return Response[returning]


class _KeptResponses(AiohttpSession):
    """aiogram's session, with the response type of each method it called kept alive."""

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Response[Any]:
        _response_type(method.__returning__)
        return super().check_response(bot, method, status_code, content)


class AiogramApi(BotAdapter):
    """Implements `TelegramApi` with a real aiogram `Bot` pointed at `api_url`."""

    bot: Bot
    name = "aiogram"

    def __init__(self, token: str, api_url: str, request_timeout: float = 30.0) -> None:
        session = _KeptResponses(api=TelegramAPIServer.from_base(api_url.rstrip("/")))
        self.bot = Bot(token, session=session)
        self.request_timeout = request_timeout

    async def _call(self, call: Awaitable[T], timeout: float | None = None) -> T:
        try:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for drops a cancellation that
            # arrives as the call completes, and the cancelled loop then runs on for ever.
            async with asyncio.timeout(timeout or self.request_timeout):
                return await call
        except TelegramRetryAfter as error:
            raise RetryLater(float(error.retry_after)) from None
        except TelegramForbiddenError as error:
            raise Blocked(error.message) from None
        except (TelegramUnauthorizedError, TelegramNotFound) as error:
            raise Unauthorized(error.message) from None
        except TelegramBadRequest as error:
            raise Rejected(error.message) from None
        except (
            TelegramServerError,
            TelegramNetworkError,
            ClientDecodeError,
            aiohttp.ClientError,
            TimeoutError,
        ) as error:
            raise Transient(type(error).__name__) from None
        except TelegramAPIError as error:
            raise Transient(error.message) from None

    async def identity(self) -> tuple[int, str]:
        me = await self._call(self.bot.get_me())
        return me.id, me.username or ""

    async def get_updates(self, offset: int | None, timeout: int) -> list[Received]:
        updates = await self._call(
            self.bot.get_updates(
                offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES, request_timeout=timeout + 10
            ),
            timeout=timeout + 15,
        )
        return [received(update) for update in updates]

    def parse_update(self, data: dict[str, Any]) -> Received:
        return received(Update.model_validate(data, context={"bot": self.bot}))

    @staticmethod
    def _inline(buttons: act.Keyboard) -> InlineKeyboardMarkup | None:
        if not buttons:
            return None
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=b.text, callback_data=b.data) for b in row] for row in buttons
            ]
        )

    @staticmethod
    def _contact_request(label: str) -> ReplyKeyboardMarkup:
        button = KeyboardButton(text=label, request_contact=True)
        return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)

    @staticmethod
    def _remove_keyboard() -> ReplyKeyboardRemove:
        return ReplyKeyboardRemove()

    async def _upload(self, action: act.SendPhoto | act.SendDocument) -> int:
        upload = self.bot.send_photo if isinstance(action, act.SendPhoto) else self.bot.send_document
        file = BufferedInputFile(action.data, action.filename)
        sent = await self._call(upload(action.chat_id, file, caption=action.caption or None))
        return sent.message_id

    async def set_commands(
        self, commands: list[tuple[str, str]], language: str | None, chat_id: int | None = None
    ) -> None:
        await self._call(
            self.bot.set_my_commands(
                [BotCommand(command=name, description=text) for name, text in commands],
                scope=BotCommandScopeChat(chat_id=chat_id)
                if chat_id is not None
                else BotCommandScopeAllPrivateChats(),
                language_code=language,
            )
        )

    async def close(self) -> None:
        await self.bot.session.close()
