"""The organiser's digest and exports in the demo's output.

`organiser_digest` is the hook the daily digest and exports (issue 6) fill in. Until they land it
does not invent a digest: it only draws, from the store, a chart of registrations per language and
attendance, so `digest.png` exists and shows real figures, and says that exports were skipped.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")

from matplotlib.figure import Figure

PENDING = "the organiser's digest and exports arrive with issue 6; digest.png is a chart of the store"


def organiser_digest(out: Path, store: Path) -> str:
    """Write the digest (and exports) into `out`; returns one line saying what was written.

    Issue 6 replaces the body with the real digest and exports; the fallback below runs only when
    no `digest.png` exists afterwards.
    """
    if not (out / "digest.png").exists():
        store_chart(store, out / "digest.png")
    return PENDING


def store_chart(store: Path, path: Path) -> None:
    """Registrations per language, and confirmed / present at the first session, counted in `store`."""
    with sqlite3.connect(store) as connection:
        languages = connection.execute(
            "SELECT language, count(*) FROM participants"
            " WHERE registered_at IS NOT NULL AND status != 'forgotten' GROUP BY language ORDER BY language"
        ).fetchall()
        confirmed = connection.execute(
            "SELECT count(*) FROM participants WHERE status = 'confirmed'"
        ).fetchone()[0]
        present = connection.execute("SELECT count(*) FROM attendance").fetchone()[0]
    connection.close()
    figure = Figure(figsize=(9.0, 3.6), dpi=100)
    left, right = figure.subplots(1, 2)
    left.bar([code for code, _ in languages], [n for _, n in languages], color="#2b8a3e")
    left.set_title("Registrations per language", fontsize=11)
    right.bar(["confirmed", "checked in"], [confirmed, present], color=["#1c7ed6", "#f08c00"])
    right.set_title("Attendance, session 1", fontsize=11)
    for axes in (left, right):
        axes.spines[["top", "right"]].set_visible(False)
        axes.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    figure.savefig(path, format="png")
