"""`assembly-bot demo`: its summary agrees with the store it wrote, its files exist.

Half a minute of CPU each, so the load step (`-m load`, which CI runs) plays it on both runtimes; the
default run holds the same conversations through the end-to-end tests, each on both runtimes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
@pytest.mark.load
@pytest.mark.parametrize("runtime", ["aiogram", "ptb"])
def test_demo_writes_a_summary_that_matches_its_store(
    project_root: Path, tmp_path: Path, runtime: str
) -> None:
    env = {**os.environ, "PYTHONPATH": str(project_root)}
    env.pop("DATABASE_URL", None)
    env.pop("ASSEMBLY_CONFIG", None)
    folder = tmp_path / runtime
    process = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--out", str(folder), "--runtime", runtime],
        cwd=project_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert process.returncode == 0, (process.stdout[-2000:], process.stderr[-2000:])
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    with sqlite3.connect(folder / "assembly.sqlite") as db:

        def one(sql: str, db: sqlite3.Connection = db) -> int:
            return int(db.execute(sql).fetchone()[0])

        registered = "registered_at IS NOT NULL AND status != 'forgotten'"
        assert summary["runtime"] == runtime
        assert summary["invited"] == one("SELECT count(*) FROM invitations") > 0
        assert summary["registered"] == one(f"SELECT count(*) FROM participants WHERE {registered}") > 0
        assert (
            summary["selected"] == one("SELECT count(*) FROM selection_members WHERE role = 'selected'") > 0
        )
        assert summary["confirmed"] == one("SELECT count(*) FROM participants WHERE status = 'confirmed'") > 0
        assert (
            summary["reminders_sent"]
            == one(
                "SELECT count(*) FROM reminder_deliveries r JOIN outbox o ON o.id = r.outbox_id"
                " WHERE o.status = 'sent'"
            )
            > 0
        )
        assert summary["checked_in"] == one("SELECT count(*) FROM attendance") > 0
        assert (
            summary["poll_votes"]
            == one("SELECT (SELECT count(*) FROM poll_answers) + (SELECT count(*) FROM poll_ballots)")
            > 0
        )
        assert (
            summary["feedback"]
            == one(
                "SELECT (SELECT count(*) FROM feedback_ratings) + (SELECT count(*) FROM feedback_comments)"
            )
            > 0
        )
        languages = dict(
            db.execute(f"SELECT language, count(*) FROM participants WHERE {registered} GROUP BY language")
        )
        assert one("SELECT count(*) FROM participants WHERE status = 'forgotten'") == 1
        assert one("SELECT count(*) FROM selection_members WHERE replaces_id IS NOT NULL") >= 1
    db.close()
    assert summary["languages"] == languages
    assert set(languages) == {"fr", "nl", "en", "de", "ar"}
    transcript = (folder / "transcript.md").read_text(encoding="utf-8")
    assert "**Amélie:** [presses “Français”]" in transcript
    assert "answered" in transcript
    assert (folder / "digest.png").read_bytes().startswith(b"\x89PNG")
    assert "/digest" in transcript  # the chart is the one the organiser received in the bot
    exports = {path.relative_to(folder / "exports").as_posix() for path in (folder / "exports").rglob("*.*")}
    assert {
        "csv/brussels-climate-2027-participants.csv",
        "json/brussels-climate-2027.json",
        "xlsx/brussels-climate-2027.xlsx",
    } <= exports
