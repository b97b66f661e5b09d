"""The demo's `summary.json` figures: what happened, counted straight from a SQLite store file.

Read with the standard library once the bot has stopped: plain SQL over the tables, no engine.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

REGISTERED = "registered_at IS NOT NULL AND status != 'forgotten'"
"""Completed registrations still on file: a /forget removes the person from every count but its own."""

COUNTS = {
    "invited": "SELECT count(*) FROM invitations",
    "registered": f"SELECT count(*) FROM participants WHERE {REGISTERED}",
    "forgotten": "SELECT count(*) FROM participants WHERE status = 'forgotten'",
    "selected": "SELECT count(*) FROM selection_members WHERE role = 'selected'",
    "reserves": "SELECT count(*) FROM selection_members WHERE role = 'reserve'",
    "confirmed": "SELECT count(*) FROM participants WHERE status = 'confirmed'",
    "reminders_sent": "SELECT count(*) FROM reminder_deliveries r JOIN outbox o ON o.id = r.outbox_id"
    " WHERE o.status = 'sent'",
    "rsvps": "SELECT count(*) FROM rsvps",
    "checked_in": "SELECT count(*) FROM attendance",
    "polls": "SELECT count(*) FROM polls",
    "poll_votes": "SELECT (SELECT count(*) FROM poll_answers) + (SELECT count(*) FROM poll_ballots)",
    "feedback": "SELECT (SELECT count(*) FROM feedback_ratings) + (SELECT count(*) FROM feedback_comments)",
    "feedback_comments": "SELECT count(*) FROM feedback_comments",
}
LANGUAGES = (
    f"SELECT language, count(*) FROM participants WHERE {REGISTERED} GROUP BY language ORDER BY language"
)


def count(store: Path) -> dict[str, Any]:
    """Every figure of the summary, read from the SQLite file `store` (the demo's, or anyone's)."""
    with sqlite3.connect(store) as connection:
        figures: dict[str, Any] = {key: connection.execute(sql).fetchone()[0] for key, sql in COUNTS.items()}
        figures["languages"] = dict(connection.execute(LANGUAGES).fetchall())
    connection.close()
    return figures
