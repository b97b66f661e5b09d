"""The aiogram 3 adapter: Bot API calls and update translation through aiogram's own types."""

from __future__ import annotations

import asyncio
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
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.codec import event_to_json
from bot.runtime.api import (
    Blocked,
    Delivery,
    Rejected,
    RetryLater,
    Transient,
    Unauthorized,
)
from bot.store.updates import Received
from flows import actions as act
from flows.events import (
    ButtonPress,
    Command,
    ContactShared,
    Event,
    PollAnswer,
    Sender,
    Text,
    parse_command,
)

T = TypeVar("T")
ALLOWED_UPDATES = ["message", "callback_query", "poll_answer"]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


def _sender(user: Any, chat_id: int) -> Sender:
    return Sender(user.id, chat_id, user.first_name or "", user.language_code)


def to_event(update: Update) -> tuple[int, Event] | None:
    """(chat id, neutral event) for the update kinds flows handle; None for the rest."""
    if update.message is not None and update.message.from_user is not None:
        message = update.message
        if message.chat.type != "private":
            return None
        sender = _sender(message.from_user, message.chat.id)
        if message.contact is not None:
            own = message.contact.user_id == sender.user_id
            return message.chat.id, ContactShared(sender, message.contact.phone_number, own)
        text = message.text or ""
        command = parse_command(text)
        if command is not None:
            return message.chat.id, Command(sender, *command)
        return message.chat.id, Text(sender, text)
    if update.callback_query is not None:
        query = update.callback_query
        origin = query.message
        chat_id = origin.chat.id if origin is not None else query.from_user.id
        message_id = origin.message_id if origin is not None else None
        event = ButtonPress(_sender(query.from_user, chat_id), query.data or "", message_id, query.id)
        return chat_id, event
    if update.poll_answer is not None and update.poll_answer.user is not None:
        answer, voter = update.poll_answer, update.poll_answer.user
        sender = _sender(voter, voter.id)
        return voter.id, PollAnswer(sender, answer.poll_id, tuple(answer.option_ids))
    return None


def _inline(buttons: act.Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.text, callback_data=b.data) for b in row] for row in buttons
        ]
    )


def _markup(message: act.SendMessage) -> Markup:
    if message.buttons:
        return _inline(message.buttons)
    if message.contact_button:
        button = KeyboardButton(text=message.contact_button, request_contact=True)
        return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)
    return ReplyKeyboardRemove() if message.remove_keyboard else None


class AiogramApi:
    """Implements `TelegramApi` with a real aiogram `Bot` pointed at `api_url`."""

    name = "aiogram"

    def __init__(self, token: str, api_url: str, request_timeout: float = 30.0) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url.rstrip("/")))
        self.bot = Bot(token, session=session)
        self.request_timeout = request_timeout

    async def _call(self, call: Awaitable[T], timeout: float | None = None) -> T:
        try:
            return await asyncio.wait_for(call, timeout or self.request_timeout)
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
        received = []
        for update in updates:
            found = to_event(update)
            chat_id, event = found if found is not None else (0, None)
            payload = event_to_json(event) if event is not None else None
            received.append(Received(update.update_id, chat_id, payload))
        return received

    async def perform(self, action: act.Action) -> Delivery:
        bot = self.bot
        match action:
            case act.SendMessage():
                sent = await self._call(
                    bot.send_message(action.chat_id, action.text, reply_markup=_markup(action))
                )
                return Delivery(sent.message_id)
            case act.EditMessage():
                try:
                    await self._call(
                        bot.edit_message_text(
                            text=action.text,
                            chat_id=action.chat_id,
                            message_id=action.message_id,
                            reply_markup=_inline(action.buttons),
                        )
                    )
                except Rejected as error:
                    if "message is not modified" not in str(error):
                        raise
                return Delivery(action.message_id)
            case act.AnswerButton():
                await self._call(bot.answer_callback_query(action.query_id, text=action.text or None))
                return Delivery()
            case act.SendPoll():
                sent = await self._call(
                    bot.send_poll(
                        action.chat_id,
                        action.question,
                        list(action.options),
                        is_anonymous=False,
                        allows_multiple_answers=action.multiple,
                    )
                )
                return Delivery(sent.message_id, sent.poll.id if sent.poll else None)
            case act.SendPhoto():
                photo = BufferedInputFile(action.data, action.filename)
                sent = await self._call(bot.send_photo(action.chat_id, photo, caption=action.caption or None))
                return Delivery(sent.message_id)
            case act.SendDocument():
                document = BufferedInputFile(action.data, action.filename)
                sent = await self._call(
                    bot.send_document(action.chat_id, document, caption=action.caption or None)
                )
                return Delivery(sent.message_id)
        raise Rejected(f"unknown action {type(action).__name__}")

    async def set_commands(self, commands: list[tuple[str, str]], language: str | None) -> None:
        await self._call(
            self.bot.set_my_commands(
                [BotCommand(command=name, description=text) for name, text in commands],
                scope=BotCommandScopeAllPrivateChats(),
                language_code=language,
            )
        )

    async def close(self) -> None:
        await self.bot.session.close()
