"""Typed yes and no: wherever a yes/no is asked with buttons, the words for yes and no in the
assembly's languages are accepted too, so "ja", "oui" or "نعم" is never answered with "use the buttons"."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

WORDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "en": (frozenset({"yes", "y", "yeah", "yep", "ok", "okay", "sure"}), frozenset({"no", "n", "nope"})),
    "fr": (frozenset({"oui", "ouais", "ok", "d'accord", "daccord"}), frozenset({"non"})),
    "nl": (frozenset({"ja", "jawel", "ok", "oké", "oke"}), frozenset({"nee", "neen"})),
    "de": (frozenset({"ja", "jawohl", "ok", "okay"}), frozenset({"nein"})),
    "ar": (frozenset({"نعم", "أجل", "اجل", "ايوه", "أيوه", "موافق", "موافقة"}), frozenset({"لا", "كلا"})),
}
"""Per language: the words that mean yes, and those that mean no, as people type them alone."""

_TRIM = " \t\n.,;:!?¡¿؟،؛…'\"«»“”()✅❌👍👎"


def _normalize(text: str) -> str:
    """Case, surrounding punctuation and emoji, Arabic diacritics and tatweel do not matter."""
    text = unicodedata.normalize("NFC", text).casefold().strip(_TRIM).replace("’", "'")
    return "".join(ch for ch in text if ch != "\u0640" and unicodedata.category(ch) != "Mn")


def typed_yes_no(text: str, languages: Iterable[str]) -> bool | None:
    """True for a typed yes, False for a typed no, in any of `languages`; None for anything else."""
    word = _normalize(text)
    for language in languages:
        yes, no = WORDS.get(language, (frozenset(), frozenset()))
        if word in yes:
            return True
        if word in no:
            return False
    return None
