"""Neutral incoming events: what a person (or the clock) did, stripped of any Telegram library's types."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` as every backend can store it: NUL characters (PostgreSQL refuses them in text) are
    dropped, and lone surrogates (which have no UTF-8 form) become U+FFFD; the rest is kept as typed,
    so a message is never lost to a database error."""
    return _UNSTORABLE.sub(lambda found: "" if found.group() == "\x00" else "\ufffd", text)


def _clean(event: object, *names: str) -> None:
    """Every event is made storable where it is built, whichever runtime builds it."""
    for name in names:
        value = getattr(event, name)
        if isinstance(value, str) and _UNSTORABLE.search(value):
            object.__setattr__(event, name, storable(value))


@dataclass(frozen=True)
class Sender:
    """The person behind an event, as far as the transport knows them."""

    user_id: int
    chat_id: int
    first_name: str = ""
    language_code: str | None = None

    def __post_init__(self) -> None:
        _clean(self, "first_name", "language_code")


@dataclass(frozen=True)
class Text:
    """Free text typed by a participant."""

    sender: Sender
    text: str

    def __post_init__(self) -> None:
        _clean(self, "text")


@dataclass(frozen=True)
class Command:
    """A `/command argument` message; `name` is lower-case without the slash or `@bot` suffix."""

    sender: Sender
    name: str
    argument: str = ""

    def __post_init__(self) -> None:
        _clean(self, "name", "argument")


@dataclass(frozen=True)
class ButtonPress:
    """An inline button pressed on a message the bot sent earlier."""

    sender: Sender
    data: str
    message_id: int | None
    query_id: str

    def __post_init__(self) -> None:
        _clean(self, "data", "query_id")


@dataclass(frozen=True)
class ContactShared:
    """A phone number shared through Telegram's contact button; `own` tells it is the sender's own."""

    sender: Sender
    phone_number: str
    own: bool

    def __post_init__(self) -> None:
        _clean(self, "phone_number")


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
