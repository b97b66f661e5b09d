"""Test-friendly records of what the bot did: its sent messages, their buttons, its API calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    """One keyboard button: inline (callback_data or url) or reply (text, maybe request_contact)."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    request_contact: bool = False


@dataclass
class SentMessage:
    """A message the bot sent to a chat; edits update it in place and bump `edited`."""

    message_id: int
    chat_id: int
    text: str | None = None
    caption: str | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    reply_keyboard: list[list[str]] = field(default_factory=list)
    reply_buttons: list[list[Button]] = field(default_factory=list)
    remove_keyboard: bool = False
    photo: bytes | None = None
    document: bytes | None = None
    document_name: str | None = None
    poll: dict[str, Any] | None = None
    venue: dict[str, Any] | None = None
    edited: int = 0
    parse_mode: str | None = None
    sent_at: float = 0.0

    def button(self, label: str) -> Button:
        """The inline button whose text or callback_data equals `label`."""
        for row in self.buttons:
            for button in row:
                if label in (button.text, button.callback_data):
                    return button
        raise LookupError(f"no button {label!r} on message {self.message_id}")

    @property
    def button_texts(self) -> list[str]:
        """Inline button labels in reading order, handy for assertions."""
        return [button.text for row in self.buttons for button in row]


@dataclass(frozen=True)
class Upload:
    """A file part received in a multipart body."""

    filename: str | None
    data: bytes
    content_type: str | None

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made; `status` is 0 when the emulator dropped the connection.

    `client_gone`: the client had stopped waiting (timed out, disconnected) when the call completed,
    so it never learnt the outcome: a send it then repeats is a duplicate Telegram makes possible.
    `message` is the (chat id, message id) a successful call returned, to tell which message that is."""

    method: str
    params: dict[str, Any]
    status: int
    at: float
    client_gone: bool = False
    message: tuple[int, int] | None = None


def inline_buttons(markup: dict[str, Any] | None) -> list[list[Button]]:
    """Rows of inline buttons from a (validated) InlineKeyboardMarkup, [] for any other markup."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [Button(text=b["text"], callback_data=b.get("callback_data"), url=b.get("url")) for b in row]
        for row in markup["inline_keyboard"]
    ]


def reply_buttons(markup: dict[str, Any] | None) -> list[list[Button]]:
    """Rows of a ReplyKeyboardMarkup; plain strings are allowed there by the Bot API."""
    if not markup or "keyboard" not in markup:
        return []
    return [
        [
            Button(text=b, request_contact=False)
            if isinstance(b, str)
            else Button(text=b["text"], request_contact=bool(b.get("request_contact")))
            for b in row
        ]
        for row in markup["keyboard"]
    ]
