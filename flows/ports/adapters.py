"""Ports of the adapters: translations, language detection, the clock, charts, calendar files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class QuotaBar:
    """One feature value in the digest's chart: its registrations and confirmations, and the quota's
    minimum (None or 0: no minimum to mark)."""

    label: str
    registered: int
    confirmed: int
    minimum: int | None
    heading: bool = False
    """A heading row (a feature's question) above its values, drawn without bars."""


@dataclass(frozen=True)
class CalendarEvent:
    """One session in a participant's calendar file: texts already in their language, times aware
    and in the assembly's timezone; `uid` stays the same for a session whatever changes."""

    uid: str
    title: str
    place: str
    starts: dt.datetime
    ends: dt.datetime
    description: str = ""
    cancelled: bool = False
    latitude: float | None = None
    longitude: float | None = None


class Calendars(Protocol):
    """Writes calendar files (iCalendar, RFC 5545) that every calendar application imports."""

    def ics(self, name: str, events: Sequence[CalendarEvent], now: dt.datetime) -> bytes: ...


class Charts(Protocol):
    """Draws charts as PNG bytes; flows pass the figures and the already translated texts."""

    def bars(self, title: str, labels: Sequence[str], values: Sequence[float], *, axis: str = "") -> bytes:
        """A results chart: one bar per answer; `axis` names what the bars count."""
        ...

    def quota_chart(
        self,
        title: str,
        bars: Sequence[QuotaBar],
        *,
        registered: str,
        confirmed: str,
        minimum: str,
        axis: str = "",
    ) -> bytes:
        """Registrations against the quotas; `registered`, `confirmed`, `minimum` label the legend,
        `axis` the count axis."""
        ...


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
