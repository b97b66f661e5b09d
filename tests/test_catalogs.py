"""Every participant-facing string is translated in every shipped language, with intact placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.adapters.i18n import load_catalog
from flows.languages import SHIPPED

PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.fixture(scope="module")
def source_msgids(project_root: Path, tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Extract from the code right now, so a new string without a translation fails here."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=project_root,
        check=True,
        capture_output=True,
    )
    return {m.id if isinstance(m.id, str) else m.id[0] for m in _read(pot) if m.id}


def test_locales_folder_matches_shipped_languages(project_root: Path) -> None:
    folders = {p.name for p in (project_root / "locales").iterdir() if p.is_dir()}
    assert folders == set(SHIPPED)


def test_there_is_something_to_translate(source_msgids: set[str]) -> None:
    assert "Choose your language:" in source_msgids
    assert len(source_msgids) > 15


def catalog_problems(catalog: Catalog, source_msgids: set[str]) -> list[str]:
    """Missing msgids, fuzzy or empty entries, wrong plural counts, placeholders that differ."""
    entries = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    problems = [f"missing: {key!r}" for key in sorted(source_msgids - entries.keys())]
    for key, message in entries.items():
        if message.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        if isinstance(message.id, str):
            expected = set(PLACEHOLDER.findall(message.id))
        else:
            if len(forms) != catalog.num_plurals:
                problems.append(f"{len(forms)} plural forms, want {catalog.num_plurals}: {key!r}")
            expected = {name for text in message.id for name in PLACEHOLDER.findall(text)}
        for form in forms:
            found = set(PLACEHOLDER.findall(form or ""))
            if not form:
                problems.append(f"untranslated: {key!r}")
            elif found - expected or (isinstance(message.id, str) and found != expected):
                # Plural forms may drop the count ("one message"), never add or rename a name.
                problems.append(f"placeholders differ: {form!r}")
    return problems


@pytest.mark.parametrize("language", SHIPPED)
def test_catalog_is_complete_and_sound(language: str, project_root: Path, source_msgids: set[str]) -> None:
    catalog = _read(project_root / "locales" / language / "LC_MESSAGES" / "messages.po", language)
    assert catalog_problems(catalog, source_msgids) == []


def test_arabic_has_six_plural_forms_and_compiles(project_root: Path) -> None:
    catalog = _read(project_root / "locales" / "ar" / "LC_MESSAGES" / "messages.po", "ar")
    assert catalog.num_plurals == 6
    translations = load_catalog("ar")
    assert translations.gettext("Choose your language:") == "اختر لغتك:"


def test_broken_catalogs_are_caught(project_root: Path, tmp_path: Path, source_msgids: set[str]) -> None:
    """The check must be able to fail: a renamed placeholder, a fuzzy entry, a missing msgid."""
    text = (project_root / "locales" / "fr" / "LC_MESSAGES" / "messages.po").read_text("utf-8")
    broken = text.replace(
        'msgstr "Je ne connais pas la commande /{command}."',
        'msgstr "Je ne connais pas la commande /{commande}."',
    )
    broken = broken.replace('msgid "Choose your language:"', '#, fuzzy\nmsgid "Choose your language:"')
    broken = broken.replace('msgid "What I can do"\n', 'msgid "What I could do"\n')
    path = tmp_path / "messages.po"
    path.write_text(broken, encoding="utf-8")
    problems = catalog_problems(_read(path, "fr"), source_msgids)
    assert "placeholders differ: 'Je ne connais pas la commande /{commande}.'" in problems
    assert "fuzzy: 'Choose your language:'" in problems
    assert "missing: 'What I can do'" in problems
