"""Typed yes and no in every offered language, wherever a yes/no is asked with buttons."""

from __future__ import annotations

import pytest
from conftest import FlowHarness

from flows.actions import SendMessage
from flows.events import Command, Text
from flows.yes_no import typed_yes_no

LANGUAGES = ("en", "fr", "nl", "de", "ar")
TYPED = {
    "en": ("Yes!", "no"),
    "fr": ("Oui", "non."),
    "nl": ("ja", "Nee"),
    "de": ("JA", "nein"),
    "ar": ("نعم", "لا"),
}


def _texts(actions: tuple[object, ...]) -> list[str]:
    return [a.text for a in actions if isinstance(a, SendMessage)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_has_typed_words_for_yes_and_no(language: str) -> None:
    yes, no = TYPED[language]
    assert typed_yes_no(yes, [language]) is True
    assert typed_yes_no(no, [language]) is False
    assert typed_yes_no(f"  {yes} ✅ ", LANGUAGES) is True
    assert typed_yes_no("maybe later", LANGUAGES) is None


def test_arabic_diacritics_and_tatweel_and_other_languages_words() -> None:
    assert typed_yes_no("نَعَم", ["ar"]) is True
    assert typed_yes_no("نعــم؟", ["ar"]) is True
    assert typed_yes_no("oui", ["en", "fr"]) is True
    assert typed_yes_no("oui", ["en", "nl"]) is None, "only the assembly's languages count"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_forget_confirmation_accepts_typed_no_then_yes(flow: FlowHarness, language: str) -> None:
    yes, no = TYPED[language]
    person = flow.sender(910, language)
    await flow.send(Command(person, "start"))
    await flow.send(Command(person, "forget"))
    kept = _texts(await flow.send(Text(person, no)))
    assert kept == [flow.kit.translations.for_language(language).gettext("Nothing was erased.")]
    await flow.send(Command(person, "forget"))
    erased = _texts(await flow.send(Text(person, yes)))
    tr = flow.kit.translations.for_language(language)
    assert erased == [tr.gettext("Done: I have erased your data. Goodbye, and thank you.")]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_privacy_notice_accepts_a_typed_yes(flow: FlowHarness, language: str) -> None:
    person = flow.sender(911, language)
    (pick,) = [a for a in await flow.send(Command(person, "start", "register")) if isinstance(a, SendMessage)]
    data = next(b.data for row in pick.buttons for b in row if b.data.endswith(f":{language}"))
    await flow.send(flow.press(person, data))
    (first_question,) = _texts(await flow.send(Text(person, TYPED[language][0])))
    header = flow.kit.translations.for_language(language).gettext("Question {number} of {total}")
    assert first_question.startswith(header.format(number=1, total=12))
