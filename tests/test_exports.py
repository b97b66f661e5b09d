"""Exports: every format holds the assembly's rows; personal data appears only with --include-personal."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_reports import populate

from bot.bootstrap import build_kit
from bot.cli.main import main
from bot.organiser.exports import export
from bot.store.database import Database
from bot.store.participants import SqlStore
from flows.assembly import Assembly
from flows.status import ParticipantStatus

NAME, PHONE, NOTE, REASON = "Zoë-Unique", "+32470999111", "needs a ramp at door B", "my daughter's recital"
PERSONAL = (NAME, PHONE, NOTE, REASON, "31337")


async def _with_personal_answers(db: Database, assembly: Assembly) -> None:
    await populate(db, assembly, size=12)
    now = datetime(2027, 2, 2, tzinfo=UTC)
    async with db.transaction() as session:
        store = SqlStore(session, assembly.id)
        person = await store.add_participant(31337, 31337, "fr")
        await store.registrations.save_answer(person.id, "first_name", NAME, now)
        await store.registrations.save_answer(person.id, "phone", PHONE, now)
        await store.registrations.save_answer(
            person.id, "access", {"needs": ["wheelchair"], "note": NOTE}, now
        )
        await store.registrations.save_answer(person.id, "gender", "woman", now)
        await store.registrations.set_status(person.id, ParticipantStatus.CONFIRMED, now)
        await store.sessions.set_rsvp(person.id, "s2", "absent", now)
        await store.sessions.set_rsvp_reason(person.id, "s2", REASON)


def _all_text(paths: list[Path]) -> str:
    texts = []
    for path in paths:
        if path.suffix == ".xlsx":
            book = load_workbook(path, read_only=True)
            texts += [
                str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
            ]
        else:
            texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
async def test_default_export_has_no_personal_data(
    db: Database, assembly: Assembly, tmp_path: Path, fmt: str
) -> None:
    await _with_personal_answers(db, assembly)
    plain = await export(db, assembly, fmt, tmp_path / "plain", translations=build_kit(assembly).translations)
    personal = await export(
        db,
        assembly,
        fmt,
        tmp_path / "personal",
        include_personal=True,
        translations=build_kit(assembly).translations,
    )
    plain_text, personal_text = _all_text(plain), _all_text(personal)
    for value in PERSONAL:
        assert value not in plain_text, value
        assert value in personal_text, value
    assert "wheelchair" in plain_text  # the need itself is not personal, only the free-text note
    assert "telegram_user_id" not in plain_text
    assert "telegram_user_id" in personal_text


@pytest.mark.both_backends
async def test_exports_hold_every_row(db: Database, assembly: Assembly, tmp_path: Path) -> None:
    await populate(db, assembly, size=30)
    counted: dict[str, int] = {}
    (path,) = await export(
        db, assembly, "json", tmp_path, on_start=counted.update, translations=build_kit(assembly).translations
    )
    data = json.loads(path.read_text(encoding="utf-8"))
    assert len(data["participants"]) == counted["participants"] == 30
    assert len(data["answers"]) == 30 * len(assembly.registration.features)  # type: ignore[union-attr]
    assert {row["session"] for row in data["attendance"]} == {"s1"}
    strata = {(r["feature"], r["value"]): r["registered"] for r in data["strata"]}
    assert sum(v for (f, _), v in strata.items() if f == "gender") == 27  # 30 minus 3 still registering
    files = await export(db, assembly, "csv", tmp_path / "csv", translations=build_kit(assembly).translations)
    with next(p for p in files if p.name.endswith("-rsvps.csv")).open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == len(data["rsvps"]) > 0


def test_export_and_digest_commands(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite'}")
    monkeypatch.delenv("ASSEMBLY_CONFIG", raising=False)
    assembly = ["--assembly", "brussels-climate-2027"]

    assert main(["export", *assembly, "--format", "xlsx", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "brussels-climate-2027.xlsx").exists()
    assert main(["sessions", "sync", *assembly]) == 0  # what the bot stores at start-up; digest only reads
    capsys.readouterr()
    assert main(["digest", *assembly, "--language", "de"]) == 0
    printed = capsys.readouterr().out
    assert "Teilnehmende nach Status" in printed
    assert "16 bis 24" in printed  # one language, labels rather than ids
    assert "a16_24" not in printed
    assert "registered" not in printed
    assert main(["digest", *assembly, "--language", "es"]) == 2
    assert "--language es is not offered" in capsys.readouterr().err
