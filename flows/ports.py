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


@dataclass(frozen=True)
class Rsvp:
    """A participant's answer for one session: "coming" or "absent", with an optional reason."""

    answer: str
    reason: str | None = None


@dataclass(frozen=True)
class Presence:
    """A check-in at one session: when, whether late, and how it was recorded ("code" or "manual")."""

    at: dt.datetime
    late: bool
    method: str


class SessionStore(Protocol):
    """Sessions, answers and attendance, as flows need them; sessions are named by their definition id."""

    async def is_confirmed(self, participant_id: int) -> bool: ...

    async def rsvps(self, participant_id: int) -> dict[str, Rsvp]: ...

    async def set_rsvp(self, participant_id: int, session_id: str, answer: str, at: dt.datetime) -> None: ...

    async def set_rsvp_reason(self, participant_id: int, session_id: str, reason: str) -> None: ...

    async def session_for_code(self, code: str) -> str | None:
        """The id of the session whose check-in code this is, cancelled or not; None if unknown."""
        ...

    async def presences(self, participant_id: int) -> dict[str, Presence]: ...

    async def check_in(self, participant_id: int, session_id: str, presence: Presence) -> bool:
        """Record a presence; False when one was already recorded (the first one stands)."""
        ...


class Store(Protocol):
    """Participant data that flows read and change inside the caller's transaction."""

    @property
    def sessions(self) -> SessionStore: ...

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

    def time(self, value: dt.datetime, format: str = "short") -> str:
        """A time of day in the assembly's timezone ("09:30", "9:30 AM")."""
        ...

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
