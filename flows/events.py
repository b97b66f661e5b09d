"""Neutral incoming events: what a person (or the clock) did, stripped of any Telegram library's types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sender:
    """The person behind an event, as far as the transport knows them."""

    user_id: int
    chat_id: int
    first_name: str = ""
    language_code: str | None = None


@dataclass(frozen=True)
class Text:
    """Free text typed by a participant."""

    sender: Sender
    text: str


@dataclass(frozen=True)
class Command:
    """A `/command argument` message; `name` is lower-case without the slash or `@bot` suffix."""

    sender: Sender
    name: str
    argument: str = ""


@dataclass(frozen=True)
class ButtonPress:
    """An inline button pressed on a message the bot sent earlier."""

    sender: Sender
    data: str
    message_id: int | None
    query_id: str


@dataclass(frozen=True)
class ContactShared:
    """A phone number shared through Telegram's contact button; `own` tells it is the sender's own."""

    sender: Sender
    phone_number: str
    own: bool


@dataclass(frozen=True)
class Media:
    """A message without text where a person may have meant to answer: a voice note, photo, sticker,
    file, location... `kind` names it (Telegram's field, e.g. "voice"); flows read only text, so
    they answer it and keep their step open."""

    sender: Sender
    kind: str


@dataclass(frozen=True)
class PollAnswer:
    """A vote in a Telegram poll the bot sent; an empty `option_ids` retracts the vote."""

    sender: Sender
    poll_id: str
    option_ids: tuple[int, ...]


@dataclass(frozen=True)
class Timer:
    """A timed job firing for one participant (reminders, deadlines), raised by the scheduler."""

    sender: Sender
    name: str
    payload: dict[str, Any] = field(default_factory=dict)


Event = Text | Command | ButtonPress | ContactShared | Media | PollAnswer | Timer


def parse_command(text: str) -> tuple[str, str] | None:
    """Split `/name@bot arg` into (name, arg); None when the text is not a command."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, argument = text.partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    if not name or not all(c.isalnum() or c == "_" for c in name):
        return None
    return name, argument.strip()
