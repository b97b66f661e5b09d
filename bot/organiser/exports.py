"""Exports of an assembly's store as CSV files, one XLSX workbook or one JSON file, streamed in batches.

Without `include_personal` an export holds no personal data: no Telegram ids or chat ids, no
free-text or phone answers, no accessibility notes, no RSVP reasons. Participants appear under the
store's internal id, which means nothing outside the store.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.database import Database
from bot.store.models import AnswerRow, AttendanceRow, ParticipantRow, RsvpRow, SessionRow
from flows.assembly import Assembly

FORMATS = ("csv", "xlsx", "json")
BATCH = 2000
PERSONAL_KINDS = frozenset({"text", "phone"})
"""Question kinds whose answers are personal as such: names and other free text, phone numbers."""


@dataclass(frozen=True)
class Dataset:
    """One exported table: its columns, its query, and how a row becomes plain values."""

    name: str
    columns: tuple[str, ...]
    query: Select[Any]
    convert: Callable[[tuple[Any, ...]], tuple[Any, ...] | None] = tuple


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def datasets(assembly: Assembly, include_personal: bool) -> list[Dataset]:
    """What an export holds, in order; the personal columns and answers only when asked for."""
    mine = ParticipantRow.assembly_id == assembly.id
    people_columns = [
        ParticipantRow.id,
        ParticipantRow.language,
        ParticipantRow.status,
        ParticipantRow.created_at,
        ParticipantRow.registered_at,
        ParticipantRow.consent_version,
        ParticipantRow.blocked_at.is_not(None),
    ]
    names = [
        "participant",
        "language",
        "status",
        "first_contact",
        "registered_at",
        "consent_version",
        "blocked",
    ]
    if include_personal:
        people_columns += [ParticipantRow.telegram_user_id, ParticipantRow.chat_id]
        names += ["telegram_user_id", "chat_id"]
    kinds = {q.id: q.kind for q in assembly.registration.questions} if assembly.registration else {}

    def answer(row: tuple[Any, ...]) -> tuple[Any, ...] | None:
        participant, question, value = row
        kind = kinds.get(question)
        if not include_personal:
            if kind in PERSONAL_KINDS or kind is None:
                return None
            if kind == "accessibility" and isinstance(value, dict):
                value = {"needs": value.get("needs", [])}
        return participant, question, value

    in_assembly = select(ParticipantRow.id).where(mine)
    session_key = select(SessionRow.key).where(SessionRow.id == RsvpRow.session_id).scalar_subquery()
    attended_key = select(SessionRow.key).where(SessionRow.id == AttendanceRow.session_id).scalar_subquery()
    rsvp_columns = [session_key, RsvpRow.participant_id, RsvpRow.answer, RsvpRow.answered_at]
    rsvp_names: tuple[str, ...] = ("session", "participant", "answer", "answered_at")
    if include_personal:
        rsvp_columns.append(RsvpRow.reason)
        rsvp_names += ("reason",)
    return [
        Dataset(
            "participants", tuple(names), select(*people_columns).where(mine).order_by(ParticipantRow.id)
        ),
        Dataset(
            "answers",
            ("participant", "question", "value"),
            select(AnswerRow.participant_id, AnswerRow.question_id, AnswerRow.value)
            .where(AnswerRow.participant_id.in_(in_assembly))
            .order_by(AnswerRow.participant_id, AnswerRow.question_id),
            answer,
        ),
        Dataset(
            "sessions",
            ("session", "starts_at", "ends_at", "cancelled_at", "revision"),
            select(
                SessionRow.key,
                SessionRow.starts_at,
                SessionRow.ends_at,
                SessionRow.cancelled_at,
                SessionRow.revision,
            )
            .where(SessionRow.assembly_id == assembly.id)
            .order_by(SessionRow.starts_at),
        ),
        Dataset(
            "rsvps",
            rsvp_names,
            select(*rsvp_columns)
            .where(RsvpRow.participant_id.in_(in_assembly))
            .order_by(RsvpRow.session_id, RsvpRow.participant_id),
        ),
        Dataset(
            "attendance",
            ("session", "participant", "checked_in_at", "late", "method"),
            select(
                attended_key,
                AttendanceRow.participant_id,
                AttendanceRow.checked_in_at,
                AttendanceRow.late,
                AttendanceRow.method,
            )
            .where(AttendanceRow.participant_id.in_(in_assembly))
            .order_by(AttendanceRow.session_id, AttendanceRow.participant_id),
        ),
        Dataset(
            "strata",
            ("feature", "value", "registered", "confirmed", "min_seats", "max_seats", "gap"),
            select(
                *(
                    literal_column(c)
                    for c in ("feature", "value", "registered", "confirmed", "min_seats", "max_seats", "gap")
                )
            )
            .select_from(text("report_strata"))
            .where(text("assembly_id = :assembly").bindparams(assembly=assembly.id))
            .order_by(text("feature"), text("value")),
        ),
    ]


async def count_rows(session: AsyncSession, dataset: Dataset) -> int:
    return int(await session.scalar(select(func.count()).select_from(dataset.query.subquery())) or 0)


async def rows(session: AsyncSession, dataset: Dataset) -> AsyncIterator[tuple[Any, ...]]:
    """The dataset's rows as plain values, fetched in batches (a large store never sits in memory)."""
    result = await session.stream(dataset.query.execution_options(yield_per=BATCH))
    async for partition in result.partitions(BATCH):
        for raw in partition:
            converted = dataset.convert(tuple(raw))
            if converted is not None:
                yield tuple(_plain(v) for v in converted)


Tick = Callable[[str, int], None]
"""Progress callback: (dataset name, rows just written)."""


async def export(
    db: Database,
    assembly: Assembly,
    fmt: str,
    out: Path,
    *,
    include_personal: bool = False,
    on_start: Callable[[dict[str, int]], None] = lambda totals: None,
    tick: Tick = lambda name, n: None,
) -> list[Path]:
    """Write the export into `out`; returns the files written. `on_start` gets each dataset's row count."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}'; choose from {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (a CLI export: local files, written in line)
    suffix = "-personal" if include_personal else ""
    stem = f"{assembly.id}{suffix}"
    tables = datasets(assembly, include_personal)
    async with db.transaction() as session:
        on_start({t.name: await count_rows(session, t) for t in tables})
        if fmt == "csv":
            return [await _csv(session, t, out / f"{stem}-{t.name}.csv", tick) for t in tables]
        if fmt == "json":
            return [await _json(session, tables, out / f"{stem}.json", tick)]
        return [await _xlsx(session, tables, out / f"{stem}.xlsx", tick)]


async def _csv(session: AsyncSession, table: Dataset, path: Path, tick: Tick) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.columns)
        async for row in rows(session, table):
            writer.writerow(row)
            tick(table.name, 1)
    return path


async def _json(session: AsyncSession, tables: list[Dataset], path: Path, tick: Tick) -> Path:
    """One JSON object of arrays of objects, written row by row rather than built in memory."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("{")
        for index, table in enumerate(tables):
            handle.write(("," if index else "") + f"\n{json.dumps(table.name)}: [")
            first = True
            async for row in rows(session, table):
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


async def _xlsx(session: AsyncSession, tables: list[Dataset], path: Path, tick: Tick) -> Path:
    """One sheet per dataset, in openpyxl's write-only mode (rows go to disk as they come)."""
    from openpyxl import Workbook  # noqa: PLC0415 (only XLSX exports need it)

    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(table.name)
        sheet.append(list(table.columns))
        async for row in rows(session, table):
            sheet.append(list(row))
            tick(table.name, 1)
    book.save(path)
    return path
