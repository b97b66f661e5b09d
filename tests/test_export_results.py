"""Exports hold poll results as the dashboard shows them and feedback ratings; comments only when asked
for; and the progress reaches every dataset's total, personal data or not."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean

from dashboard_data import populate_results

from bot.bootstrap import build_kit
from bot.organiser.exports import export
from bot.store.database import Database
from bot.store.participants import SqlStore
from flows.assembly import Assembly
from flows.polls.votes import Choice, Written


async def test_results_and_ratings_in_the_export_and_a_progress_that_completes(
    db: Database, assembly: Assembly, tmp_path: Path
) -> None:
    room = await populate_results(db, assembly)
    async with db.transaction() as session:  # a personal answer, which the plain export leaves out
        person = next(iter(room.people))
        await SqlStore(session, room.assembly.id).registrations.save_answer(
            person, "first_name", "Zoë", datetime(2027, 2, 2, tzinfo=UTC)
        )
    totals: dict[str, int] = {}
    ticked: Counter[str] = Counter()

    def tick(name: str, rows: int) -> None:
        ticked[name] += rows

    (path,) = await export(
        db,
        room.assembly,
        "json",
        tmp_path / "plain",
        on_start=totals.update,
        tick=tick,
        translations=build_kit(room.assembly).translations,
    )
    assert {name: ticked[name] for name in totals} == totals  # every bar reaches its total
    data = json.loads(path.read_text(encoding="utf-8"))
    assert "Zoë" not in path.read_text(encoding="utf-8")

    results = data["poll_results"]
    for poll, ballots in room.ballots.items():
        rows = [row for row in results if row["poll"] == poll]
        assert {row["shown"] for row in rows} == {True}
        assert {row["answers"] for row in rows} == {len(ballots)}
        if rows[0]["kind"] == "single":
            votes = Counter(b.index for b in ballots if isinstance(b, Choice))
            assert [row["count"] for row in rows] == [votes[i] for i in range(len(rows))]
        if rows[0]["kind"] == "text":
            assert [row["option"] for row in rows] == [""]  # open text only with --include-comments
    for hidden in (room.small_table_poll, room.open_poll):  # too small a table; still open
        ((shown, count),) = [(r["shown"], r["count"]) for r in results if r["poll"] == hidden]
        assert (shown, count) == (False, None)

    ratings = {(r["session"], r["question"]): r for r in data["feedback_ratings"]}
    for question in {q for _, q, _ in room.ratings}:
        values = [v for _, q, v in room.ratings if q == question]
        row = ratings["s1", question]
        assert (row["answers"], row["average"]) == (len(values), round(mean(values), 2))
    assert "feedback_comments" not in data
    assert not any(text in json.dumps(data, ensure_ascii=False) for _, text, _ in room.comments)

    (path,) = await export(
        db,
        room.assembly,
        "json",
        tmp_path / "comments",
        include_comments=True,
        translations=build_kit(room.assembly).translations,
    )
    data = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(c["comment"] for c in data["feedback_comments"]) == sorted(t for _, t, _ in room.comments)
    texts = [r["option"] for r in data["poll_results"] if r["kind"] == "text" and r["poll"] in room.ballots]
    assert sorted(texts) == sorted(
        b.text for bs in room.ballots.values() for b in bs if isinstance(b, Written)
    )
