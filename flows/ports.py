"""The small interfaces flows need from the outside world; `bot/` implements them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Participant:
    """A person talking to the bot, as flows see them (no ORM row ever leaves the store)."""

    id: int
    user_id: int
    chat_id: int
    language: str


class Store(Protocol):
    """Participant data that flows read and change inside the caller's transaction."""

    async def participant(self, user_id: int) -> Participant | None: ...

    async def add_participant(self, user_id: int, chat_id: int, language: str) -> Participant: ...

    async def set_language(self, participant_id: int, language: str) -> None: ...


class Translator(Protocol):
    """Gettext and Babel formatting for one language, in the assembly's timezone."""

    language: str

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def datetime(self, value: dt.datetime, format: str = "medium") -> str: ...

    def date(self, value: dt.date | dt.datetime, format: str = "long") -> str: ...

    def number(self, value: float) -> str: ...

    def language_name(self, code: str) -> str:
        """The name of language `code` in this translator's language ("néerlandais")."""
        ...


class Translations(Protocol):
    """Hands out a translator per language code."""

    def for_language(self, language: str) -> Translator: ...


class LanguageDetector(Protocol):
    """Guesses the language of free text; None when unsure or the text is too short."""

    def detect(self, text: str) -> str | None: ...


class Clock(Protocol):
    """Injected time, so tests of timed behaviour never sleep."""

    def now(self) -> dt.datetime: ...
