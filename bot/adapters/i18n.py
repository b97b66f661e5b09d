"""Babel-backed translators: gettext catalogs compiled from `locales/` at start-up, and
dates, times and numbers formatted for the language in the assembly's timezone."""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
from importlib.resources import files

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES = files("bot") / "locales"
"""The repository's `locales/`, shipped inside the package (see pyproject.toml's package data)."""
DOMAIN = "messages"
TIME_OF_DAY = {"en": "H:mm", "ar": "H:mm"}
"""Short times on the 24-hour clock in every language, as assemblies write them in their texts
("9:30 to 16:30"); Babel's English and Arabic would say "4:30 PM" and "4:30 م"."""


@functools.cache
def load_catalog(language: str) -> gettext.GNUTranslations:
    """Compile `<language>/LC_MESSAGES/messages.po` in memory, so a fresh checkout just works; once
    per process, as every command and test that builds translators shares the read-only result."""
    with LOCALES.joinpath(language, "LC_MESSAGES", f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class BabelTranslator:
    """Implements `flows.ports.Translator` for one language."""

    def __init__(self, language: str, catalog: gettext.GNUTranslations, zone: dt.tzinfo) -> None:
        self.language = language
        self._catalog = catalog
        self._zone = zone
        self._locale = Locale.parse(language)

    def gettext(self, message: str) -> str:
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalog.ngettext(singular, plural, n)

    def datetime(self, value: dt.datetime, format: str = "medium") -> str:
        return format_datetime(value, format, tzinfo=self._zone, locale=self._locale)

    def date(self, value: dt.date | dt.datetime, format: str = "long") -> str:
        if isinstance(value, dt.datetime):
            value = value.astimezone(self._zone).date()
        return format_date(value, format, locale=self._locale)

    def time(self, value: dt.datetime, format: str = "short") -> str:
        pattern = TIME_OF_DAY.get(self.language, format) if format == "short" else format
        return format_time(value, pattern, tzinfo=self._zone, locale=self._locale)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self._locale)

    def language_name(self, code: str) -> str:
        """The name of language `code` in this translator's language, as used mid-sentence."""
        return Locale.parse(code).get_display_name(self._locale) or code


class Catalogs:
    """Implements `flows.ports.Translations`: one compiled catalog per offered language.

    A language no longer offered (dropped from the definition while people still use it) gets the
    `fallback` language's translator, so a reminder, a notice or an apology never fails on it.
    """

    def __init__(self, languages: list[str], zone: dt.tzinfo, fallback: str | None = None) -> None:
        self._zone = zone
        self._translators = {code: BabelTranslator(code, load_catalog(code), zone) for code in languages}
        self._fallback = fallback or (languages[0] if languages else "")

    def for_language(self, language: str) -> BabelTranslator:
        translator = self._translators.get(language)
        return translator if translator is not None else self._translators[self._fallback]
