"""Exports of an assembly's store as CSV files, one XLSX workbook or one JSON file, streamed in batches.

Without `include_personal` an export holds no personal data: no Telegram ids or chat ids, no
free-text or phone answers, no accessibility notes, no RSVP reasons. Participants appear under the
store's internal id, which means nothing outside the store.

Spreadsheet cells are inert: text that a spreadsheet would read as a formula (a first name typed as
`=HYPERLINK(...)`) is written with a leading apostrophe, in CSV and XLSX alike.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.organiser.results import results
from bot.store import audit
from bot.store.database import Database, Session
from bot.store.read import exports as stored
from bot.store.read.exports import Dataset
from flows.assembly import Assembly
from flows.ports import Translations

FORMATS = ("csv", "xlsx", "json")
PERSONAL_KINDS = frozenset({"text", "phone"})
"""Question kinds whose answers are personal as such: names and other free text, phone numbers."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""How a cell starts when Excel, LibreOffice or Google Sheets would evaluate it (OWASP's list)."""

Rows = Callable[[Dataset], AsyncIterator[tuple[Any, ...]]]
"""The rows of one dataset as plain values, ready to be written."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def inert(row: Sequence[Any]) -> list[Any]:
    """`row` for a spreadsheet: each text cell that would start a formula gets a leading apostrophe,
    which spreadsheets read as "this is text" (the stored value itself is unchanged)."""
    return ["'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell for cell in row]


def _impersonal_questions(assembly: Assembly) -> frozenset[str]:
    """The questions whose answers an export without personal data holds (the store leaves out the
    others, and answers to questions no longer in the definition)."""
    questions = assembly.registration.questions if assembly.registration else []
    return frozenset(q.id for q in questions if q.kind not in PERSONAL_KINDS)


def _answer_filter(assembly: Assembly) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """Without personal data, an accessibility answer keeps its needs but not its free-text note."""
    kinds = {q.id: q.kind for q in assembly.registration.questions} if assembly.registration else {}

    def answer(row: tuple[Any, ...]) -> tuple[Any, ...]:
        participant, question, value = row
        if kinds.get(question) == "accessibility" and isinstance(value, dict):
            value = {"needs": value.get("needs", [])}
        return participant, question, value

    return answer


def _reader(
    session: Session,
    assembly: Assembly,
    questions: frozenset[str] | None,
    computed: dict[str, list[tuple[Any, ...]]],
) -> Rows:
    answer = _answer_filter(assembly)

    async def read(dataset: Dataset) -> AsyncIterator[tuple[Any, ...]]:
        if dataset.name in computed:
            for row in computed[dataset.name]:
                yield tuple(_plain(v) for v in row)
            return
        async for row in stored.rows(session, assembly.id, dataset, questions):
            kept = answer(row) if dataset.name == "answers" and not dataset.personal else row
            yield tuple(_plain(v) for v in kept)

    return read


Tick = Callable[[str, int], None]
"""Progress callback: (dataset name, rows just written)."""


async def export(
    db: Database,
    assembly: Assembly,
    fmt: str,
    out: Path,
    *,
    include_personal: bool = False,
    include_comments: bool = False,
    translations: Translations,
    on_start: Callable[[dict[str, int]], None] = lambda totals: None,
    tick: Tick = lambda name, n: None,
) -> list[Path]:
    """Write the export into `out`; returns the files written. `on_start` gets each dataset's row count.
    Poll results and feedback ratings come as the dashboard shows them, labelled in the fallback
    language; free-text comments and open-text poll answers only with `include_comments`."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}'; choose from {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (a CLI export: local files, written in line)
    suffix = "-personal" if include_personal else ""
    stem = f"{assembly.id}{suffix}"
    questions = None if include_personal else _impersonal_questions(assembly)
    tr = translations.for_language(assembly.fallback_language)
    async with db.transaction() as session:
        computed = await results(session, assembly, tr, include_comments)
        tables = stored.datasets(include_personal)
        on_start(
            {d.name: await stored.count_rows(session, assembly.id, d, questions) for d in tables}
            | {name: len(rows) for name, (_, rows) in computed.items()}
        )
        wanted = tables + tuple(dataset for dataset, _ in computed.values())
        rows = _reader(session, assembly, questions, {name: rows for name, (_, rows) in computed.items()})
        if fmt == "csv":
            files = [await _csv(rows, d, out / f"{stem}-{d.name}.csv", tick) for d in wanted]
        elif fmt == "json":
            files = [await _json(rows, wanted, out / f"{stem}.json", tick)]
        else:
            files = [await _xlsx(rows, wanted, out / f"{stem}.xlsx", tick)]
        await audit.record(
            session, assembly.id, "export", actor=audit.operator(), format=fmt, personal=include_personal
        )
    return files


async def _csv(rows: Rows, table: Dataset, path: Path, tick: Tick) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(inert(table.columns))
        async for row in rows(table):
            writer.writerow(inert(row))
            tick(table.name, 1)
    return path


async def _json(rows: Rows, datasets: tuple[Dataset, ...], path: Path, tick: Tick) -> Path:
    """One JSON object of arrays of objects, written row by row rather than built in memory."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("{")
        for index, table in enumerate(datasets):
            handle.write(("," if index else "") + f"\n{json.dumps(table.name)}: [")
            first = True
            async for row in rows(table):
                handle.write(
                    ("" if first else ",")
                    + "\n  "
                    + json.dumps(dict(zip(table.columns, row, strict=True)), ensure_ascii=False)
                )
                first = False
                tick(table.name, 1)
            handle.write("\n]")
        handle.write("\n}\n")
    return path


async def _xlsx(rows: Rows, datasets: tuple[Dataset, ...], path: Path, tick: Tick) -> Path:
    """One sheet per dataset, in openpyxl's write-only mode (rows go to disk as they come)."""
    from openpyxl import Workbook  # noqa: PLC0415 (only XLSX exports need it)

    book = Workbook(write_only=True)
    for table in datasets:
        sheet = book.create_sheet(table.name)
        sheet.append(inert(table.columns))
        async for row in rows(table):
            sheet.append(inert(row))
            tick(table.name, 1)
    book.save(path)
    return path
