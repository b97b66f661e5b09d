"""Flow action -> Bot API call, once for every framework: aiogram's and PTB's `Bot` share method names.

An adapter subclasses `BotAdapter` and supplies what really differs between the libraries: how an
error is mapped (`_call`), how keyboards and uploads are built, and the `Bot` itself.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable
from typing import Any, TypeVar

from bot.store.updates import Received
from bot.telegram.api import Delivery, Rejected
from flows import actions as act

T = TypeVar("T")


class BotAdapter(ABC):
    """`perform` for a framework whose `Bot` has send_message, edit_message_text, answer_callback_query
    and send_poll with the Bot API's own parameter names (both aiogram 3 and PTB 22 do)."""

    bot: Any
    """The framework's Bot; typed loosely because the two libraries share names, not a base class."""

    @abstractmethod
    async def _call(self, call: Awaitable[T], timeout: float | None = None) -> T:
        """Await one Bot API call, mapping the framework's errors to the neutral ones in api.py."""

    @abstractmethod
    def _inline(self, buttons: act.Keyboard) -> object:
        """The framework's inline keyboard for `buttons`, or None when there are none."""

    @abstractmethod
    def _contact_request(self, label: str) -> object:
        """A one-shot reply keyboard with a single share-my-phone-number button."""

    @abstractmethod
    def _remove_keyboard(self) -> object:
        """The markup that takes a reply keyboard away."""

    @abstractmethod
    async def _upload(self, action: act.SendPhoto | act.SendDocument) -> int:
        """Send a file; the message id. Each library wraps raw bytes its own way."""

    @abstractmethod
    async def set_commands(
        self, commands: list[tuple[str, str]], language: str | None, chat_id: int | None = None
    ) -> None:
        """setMyCommands, scoped to all private chats or, with `chat_id`, to that one chat."""

    @abstractmethod
    def parse_update(self, data: dict[str, Any]) -> Received:
        """A webhook body read through the framework's own Update type; raises when it is not one."""

    async def set_webhook(
        self, url: str, secret: str, allowed_updates: list[str], max_connections: int
    ) -> None:
        await self._call(
            self.bot.set_webhook(
                url=url, secret_token=secret, allowed_updates=allowed_updates, max_connections=max_connections
            )
        )

    async def delete_webhook(self) -> None:
        """Back to getUpdates; updates Telegram still holds stay queued for the poller."""
        await self._call(self.bot.delete_webhook(drop_pending_updates=False))

    def _markup(self, message: act.SendMessage) -> object:
        if message.buttons:
            return self._inline(message.buttons)
        if message.contact_button:
            return self._contact_request(message.contact_button)
        return self._remove_keyboard() if message.remove_keyboard else None

    async def perform(self, action: act.Action) -> Delivery:
        bot = self.bot
        match action:
            case act.SendMessage():
                sent = await self._call(
                    bot.send_message(action.chat_id, action.text, reply_markup=self._markup(action))
                )
                return Delivery(sent.message_id)
            case act.EditMessage():
                # A refused edit ("message is not modified" too) raises Rejected: the person saw
                # nothing change, so the row is recorded as failed, never as sent.
                await self._call(
                    bot.edit_message_text(
                        text=action.text,
                        chat_id=action.chat_id,
                        message_id=action.message_id,
                        reply_markup=self._inline(action.buttons),
                    )
                )
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
            case act.SendPhoto() | act.SendDocument():
                return Delivery(await self._upload(action))
            case act.SendVenue():
                sent = await self._call(
                    bot.send_venue(
                        chat_id=action.chat_id,
                        latitude=action.latitude,
                        longitude=action.longitude,
                        title=action.title,
                        address=action.address,
                    )
                )
                return Delivery(sent.message_id)
            case act.SetMenu():
                await self.set_commands(list(action.commands), None, chat_id=action.chat_id)
                return Delivery()
        raise Rejected(f"unknown action {type(action).__name__}")
