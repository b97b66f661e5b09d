"""Update -> flows event, once for every framework: aiogram's and PTB's update objects share field names.

Both libraries model the Bot API one-to-one (`update.message.from_user`, `callback_query.message`,
`poll_answer.option_ids`, ...), so one translator over these structural Protocols serves both, and
the two runtimes cannot drift apart in what a person's action means to the flows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.store.updates import Received
from flows.events import (
    ButtonPress,
    Command,
    ContactShared,
    Event,
    Media,
    PollAnswer,
    Sender,
    Text,
    parse_command,
)

ALLOWED_UPDATES = ["message", "callback_query", "poll_answer"]
"""The update kinds flows handle; getUpdates asks for these only."""
MEDIA = (
    "sticker",
    "voice",
    "audio",
    "video_note",
    "video",
    "animation",
    "photo",
    "document",
    "venue",
    "location",
    "poll",
    "dice",
)
"""Message contents a person sends instead of text, by their Bot API field, most specific first (an
animation also carries a document, a venue a location). A message with none of them and no text is a
service message (e.g. a pinned message), which needs no answer."""


class UserLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def first_name(self) -> str: ...
    @property
    def language_code(self) -> str | None: ...


class ChatLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def type(self) -> str: ...


class ContactLike(Protocol):
    @property
    def phone_number(self) -> str: ...
    @property
    def user_id(self) -> int | None: ...


class MessageLike(Protocol):
    @property
    def message_id(self) -> int: ...
    @property
    def chat(self) -> ChatLike: ...


class UserMessageLike(MessageLike, Protocol):
    @property
    def from_user(self) -> UserLike | None: ...
    @property
    def text(self) -> str | None: ...
    @property
    def contact(self) -> ContactLike | None: ...


class CallbackQueryLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def from_user(self) -> UserLike: ...
    @property
    def data(self) -> str | None: ...
    @property
    def message(self) -> MessageLike | None: ...


class PollAnswerLike(Protocol):
    @property
    def poll_id(self) -> str: ...
    @property
    def user(self) -> UserLike | None: ...
    @property
    def option_ids(self) -> Sequence[int]: ...


class UpdateLike(Protocol):
    @property
    def update_id(self) -> int: ...
    @property
    def message(self) -> UserMessageLike | None: ...
    @property
    def callback_query(self) -> CallbackQueryLike | None: ...
    @property
    def poll_answer(self) -> PollAnswerLike | None: ...


def _sender(user: UserLike, chat_id: int) -> Sender:
    return Sender(user.id, chat_id, user.first_name or "", user.language_code)


def to_event(update: UpdateLike) -> tuple[int, Event] | None:
    """(chat id, neutral event) for the update kinds flows handle; None for the rest."""
    message = update.message
    if message is not None and message.from_user is not None:
        # PTB's chat type is a str-valued enum member; comparing as str serves both libraries.
        if str(message.chat.type) != "private":
            return None
        sender = _sender(message.from_user, message.chat.id)
        if message.contact is not None:
            own = message.contact.user_id == sender.user_id
            return message.chat.id, ContactShared(sender, message.contact.phone_number, own)
        if message.text is None:
            kind = next((name for name in MEDIA if getattr(message, name, None)), None)
            return None if kind is None else (message.chat.id, Media(sender, kind))
        command = parse_command(message.text)
        if command is not None:
            return message.chat.id, Command(sender, *command)
        return message.chat.id, Text(sender, message.text)
    query = update.callback_query
    if query is not None:
        # An old message comes back as an "inaccessible" stub: it still names its chat and id.
        origin = query.message
        chat_id = origin.chat.id if origin is not None else query.from_user.id
        message_id = origin.message_id if origin is not None else None
        return chat_id, ButtonPress(_sender(query.from_user, chat_id), query.data or "", message_id, query.id)
    answer = update.poll_answer
    if answer is not None and answer.user is not None:
        sender = _sender(answer.user, answer.user.id)
        return answer.user.id, PollAnswer(sender, answer.poll_id, tuple(answer.option_ids))
    return None


def received(update: UpdateLike) -> Received:
    """The record the runner stores before acknowledging `update`; kinds flows ignore carry no event."""
    found = to_event(update)
    if found is None:
        return Received(update.update_id, 0, None)
    chat_id, event = found
    return Received(update.update_id, chat_id, event)
