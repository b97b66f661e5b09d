"""Neutral outgoing actions: what the bot should do, already localized, for any runtime to carry out.

Every action keeps within the Bot API's limits by construction, whatever text a flow puts in: texts,
captions and notices are clipped with an ellipsis (flows split lists and shorten what they echo, so a
clip is the last resort), and keyboards larger than Telegram shows are refused when built. Lengths
are counted in UTF-16 code units, as Telegram counts them, so an emoji counts two.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_TEXT = 4096
"""Telegram's limit for one message's text."""
MAX_CAPTION = 1024
"""For the caption of a photo or a document."""
MAX_NOTICE = 200
"""For the notice that acknowledges a button press."""
MAX_POLL_QUESTION = 300
MAX_POLL_OPTION = 100
MAX_POLL_OPTIONS = 12
MAX_BUTTONS = 100
"""Buttons under one message, and at most `MAX_ROW` in a row."""
MAX_ROW = 8
ELLIPSIS = "…"


def units(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _prefix(text: str, limit: int) -> str:
    """The longest start of `text` within `limit` units."""
    used = 0
    for index, char in enumerate(text):
        used += units(char)
        if used > limit:
            return text[:index]
    return text


def clip(text: str, limit: int) -> str:
    """`text` if it fits in `limit` units, else as much as fits, cut at a whole character, then `…`."""
    if units(text) <= limit:
        return text
    return _prefix(text, limit - units(ELLIPSIS)).rstrip() + ELLIPSIS


def _clip_field(action: object, name: str, limit: int) -> None:
    object.__setattr__(action, name, clip(getattr(action, name), limit))


def _check_keyboard(buttons: tuple[tuple[object, ...], ...]) -> None:
    if sum(map(len, buttons)) > MAX_BUTTONS or any(len(row) > MAX_ROW for row in buttons):
        raise ValueError(f"a keyboard holds at most {MAX_BUTTONS} buttons, {MAX_ROW} in a row")


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

    def __post_init__(self) -> None:
        _clip_field(self, "text", MAX_TEXT)
        _check_keyboard(self.buttons)


@dataclass(frozen=True)
class EditMessage:
    """Replace the text and buttons of a message the bot sent earlier."""

    chat_id: int
    message_id: int
    text: str
    buttons: Keyboard = ()

    def __post_init__(self) -> None:
        _clip_field(self, "text", MAX_TEXT)
        _check_keyboard(self.buttons)


@dataclass(frozen=True)
class AnswerButton:
    """Acknowledge a button press, optionally with a short notice (at most 200 characters)."""

    query_id: str
    text: str = ""

    def __post_init__(self) -> None:
        _clip_field(self, "text", MAX_NOTICE)


@dataclass(frozen=True)
class SendPoll:
    """A native Telegram poll; non-anonymous so each vote reaches the bot."""

    chat_id: int
    question: str
    options: tuple[str, ...]
    multiple: bool = False

    def __post_init__(self) -> None:
        if not 0 < len(self.options) <= MAX_POLL_OPTIONS:
            raise ValueError(f"a poll has 1 to {MAX_POLL_OPTIONS} options")
        _clip_field(self, "question", MAX_POLL_QUESTION)
        object.__setattr__(self, "options", tuple(clip(option, MAX_POLL_OPTION) for option in self.options))


@dataclass(frozen=True)
class SendPhoto:
    """An image, for example a results chart."""

    chat_id: int
    data: bytes = field(repr=False)
    filename: str = "image.png"
    caption: str = ""

    def __post_init__(self) -> None:
        _clip_field(self, "caption", MAX_CAPTION)


@dataclass(frozen=True)
class SendDocument:
    """A file, for example a participant's own data as JSON or an export."""

    chat_id: int
    data: bytes = field(repr=False)
    filename: str = "document"
    caption: str = ""

    def __post_init__(self) -> None:
        _clip_field(self, "caption", MAX_CAPTION)


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


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into messages Telegram accepts, at paragraph, line or word breaks when possible."""
    parts: list[str] = []
    rest = text.strip()
    while units(rest) > limit:
        window = _prefix(rest, limit)
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        cut = cut if cut > len(window) // 2 else len(window)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*parts, rest] if rest else parts
