"""Poll results and feedback for exports, read exactly as the dashboard reads them.

The dashboard's read functions give each closed poll's tally (none while a poll is open, and a secret
ballot's only as a count), and the small-table rule hides a table's poll with too few answers, as on
the dashboard. Free text (feedback comments, open-text poll answers) is included only when asked for.
"""

from __future__ import annotations

from typing import Any

from bot.store.database import Session
from bot.store.read import dashboard
from bot.store.read.exports import Dataset
from flows.assembly import Assembly
from flows.polls.ballots import labels, local
from flows.ports import Translator

POLL_RESULTS = Dataset(
    "poll_results",
    (
        "poll",
        "session",
        "table",
        "kind",
        "question",
        "secret",
        "recipients",
        "answers",
        "shown",
        "option",
        "count",
    ),
    False,
)
RATINGS = Dataset("feedback_ratings", ("session", "question", "answers", "average"), False)
COMMENTS = Dataset("feedback_comments", ("session", "comment", "language"), False)
EVERY_POLL = 1_000_000
"""The dashboard lists the newest polls; an export holds all of them."""

Computed = dict[str, tuple[Dataset, list[tuple[Any, ...]]]]


async def _poll_rows(
    session: Session, assembly: Assembly, tr: Translator, with_texts: bool
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    found = await dashboard.poll_results(
        session, assembly.id, minimum=assembly.tables.min_result, limit=EVERY_POLL
    )
    for result in sorted(found, key=lambda r: r.poll.id):
        poll, tally, spec = result.poll, result.tally, result.poll.spec
        head = (
            poll.id,
            poll.session,
            poll.table,
            spec.kind,
            local(spec.question, tr.language),
            spec.secret,
            result.recipients,
            result.answers,
        )
        if tally is None or result.too_few:
            rows.append((*head, False, "", None))  # open, or a table too small to show on its own
        elif spec.kind == "text":
            texts = tally.texts if with_texts else ()
            rows += [(*head, True, text, None) for text in texts] or [(*head, True, "", None)]
        else:
            rows += [
                (*head, True, label, n) for label, n in zip(labels(tr, spec), tally.counts, strict=False)
            ]
    return rows


async def results(session: Session, assembly: Assembly, tr: Translator, comments: bool) -> Computed:
    """The poll results, the feedback ratings and, when `comments`, the feedback comments."""
    figures = await dashboard.feedback(session, assembly.id, None, limit=EVERY_POLL)
    computed: Computed = {
        POLL_RESULTS.name: (POLL_RESULTS, await _poll_rows(session, assembly, tr, comments)),
        RATINGS.name: (
            RATINGS,
            [(r.session_key, r.question, r.answers, round(r.average, 2)) for r in figures.ratings],
        ),
    }
    if comments:
        computed[COMMENTS.name] = (COMMENTS, [(c.session_key, c.text, c.language) for c in figures.comments])
    return computed
