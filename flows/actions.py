"""Neutral outgoing actions: what the bot should do, already localized, for any runtime to carry out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Button:
    """An inline button; `data` is at most 64 bytes, as Telegram allows."""

    text: str
    data: str

    def __post_init__(self) -> None:
        if not 0 < len(self.data.encode()) <= 64:
            raise ValueError(f"button data must be 1-64 bytes: {self.data!r}")


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class SendMessage:
    """A message to a chat, with inline buttons or a one-shot contact request keyboard."""

    chat_id: int
    text: str
    buttons: Keyboard = ()
    contact_button: str | None = None
    remove_keyboard: bool = False
    tag: str | None = None
    """Names the message for later edits (e.g. "poll:12"): the outbox row keeps it with the sent id."""
    ephemeral: bool = False
    """Holds a secret (a sign-in link): the outbox forgets the row once it is sent."""


@dataclass(frozen=True)
class EditMessage:
    """Replace the text and buttons of a message the bot sent earlier."""

    chat_id: int
    message_id: int
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True)
class AnswerButton:
    """Acknowledge a button press, optionally with a short notice (at most 200 characters)."""

    query_id: str
    text: str = ""


@dataclass(frozen=True)
class SendPoll:
    """A native Telegram poll; non-anonymous so each vote reaches the bot."""

    chat_id: int
    question: str
    options: tuple[str, ...]
    multiple: bool = False


@dataclass(frozen=True)
class SendPhoto:
    """An image, for example a results chart."""

    chat_id: int
    data: bytes = field(repr=False)
    filename: str = "image.png"
    caption: str = ""


@dataclass(frozen=True)
class SendDocument:
    """A file, for example a participant's own data as JSON or an export."""

    chat_id: int
    data: bytes = field(repr=False)
    filename: str = "document"
    caption: str = ""


@dataclass(frozen=True)
class SendVenue:
    """A place as Telegram shows it: a map pin with the venue's name and address."""

    chat_id: int
    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True)
class SetMenu:
    """The command menu of one private chat (a per-chat command scope), e.g. after a role is granted."""

    chat_id: int
    commands: tuple[tuple[str, str], ...]


Action = SendMessage | EditMessage | AnswerButton | SendPoll | SendPhoto | SendDocument | SendVenue | SetMenu


def rows(*buttons: Button, width: int = 2) -> Keyboard:
    """Lay buttons out in rows of `width`, the usual shape for choice lists."""
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


MAX_TEXT = 4096
"""Telegram's limit for one message's text."""


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into messages Telegram accepts, at paragraph, line or word breaks when possible."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        cut = cut if cut > limit // 2 else limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*parts, rest] if rest else parts
