"""Dates, times and numbers are formatted by Babel for the reader's language, in the assembly's timezone."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.adapters.i18n import Catalogs
from flows.assembly import Assembly


def test_dates_and_numbers_follow_language_and_timezone(assembly: Assembly) -> None:
    catalogs = Catalogs(assembly.languages, assembly.zone)
    moment = datetime(2027, 3, 6, 8, 30, tzinfo=UTC)  # 09:30 in Brussels (winter time)
    assert catalogs.for_language("fr").datetime(moment, "short") == "06/03/2027 09:30"
    assert catalogs.for_language("en").date(moment) == "March 6, 2027"
    assert catalogs.for_language("de").date(moment) == "6. März 2027"
    assert catalogs.for_language("nl").date(moment) == "6 maart 2027"
    assert catalogs.for_language("ar").date(moment).endswith("2027")
    summer = datetime(2027, 6, 5, 22, 30, tzinfo=UTC)  # already Sunday 00:30 in Brussels
    assert catalogs.for_language("en").date(summer, "full") == "Sunday, June 6, 2027"
    assert catalogs.for_language("fr").number(1234.5) == "1\u202f234,5"
    assert catalogs.for_language("de").number(1234.5) == "1.234,5"


def test_language_names_read_naturally_mid_sentence(assembly: Assembly) -> None:
    catalogs = Catalogs(assembly.languages, assembly.zone)
    assert catalogs.for_language("fr").language_name("nl") == "néerlandais"
    assert catalogs.for_language("nl").language_name("nl") == "Nederlands"
    assert catalogs.for_language("ar").language_name("fr") == "الفرنسية"


def test_times_use_the_24_hour_clock_in_every_language(assembly: Assembly) -> None:
    """One time format per language, as the definition's own texts write times ("9:30 to 16:30")."""
    catalogs = Catalogs(assembly.languages, assembly.zone)
    afternoon = datetime(2027, 3, 6, 15, 30, tzinfo=UTC)  # 16:30 in Brussels
    shown = {code: catalogs.for_language(code).time(afternoon) for code in ("en", "ar", "fr", "nl", "de")}
    assert shown == {"en": "16:30", "ar": "16:30", "fr": "16:30", "nl": "16:30", "de": "16:30"}
    assert catalogs.for_language("en").time(datetime(2027, 3, 6, 8, 30, tzinfo=UTC)) == "9:30"
