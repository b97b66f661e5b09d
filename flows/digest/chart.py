"""The digest's chart: registrations per feature value against the quotas' lower bounds, as PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from flows.assembly import Assembly
from flows.ports import Translator

if TYPE_CHECKING:
    from flows.digest.figures import Stratum


def digest_chart(assembly: Assembly, tr: Translator, strata: Sequence[Stratum]) -> bytes:
    """One bar per feature value (registered, and confirmed), with the quota's minimum as a tick.

    Values are labelled by their ids (`feature=value`), which read the same in every language and
    need no right-to-left shaping; the title and legend are translated.
    """
    # A bare Figure renders with Agg and touches no pyplot global state; imported late (heavy).
    from matplotlib.figure import Figure  # noqa: PLC0415

    labels = [f"{s.feature}={s.value}" for s in strata] or ["-"]
    registered = [s.registered for s in strata] or [0]
    confirmed = [s.confirmed for s in strata] or [0]
    figure = Figure(figsize=(8, max(3.0, 0.28 * len(labels) + 1.2)), dpi=100)
    axes = figure.subplots()
    positions = list(range(len(labels)))
    axes.barh(positions, registered, height=0.8, color="#7fa7d9", label=tr.gettext("registered"))
    axes.barh(positions, confirmed, height=0.4, color="#2a5d9f", label=tr.gettext("confirmed"))
    minimums = [(i, s.min_seats) for i, s in enumerate(strata) if s.min_seats]
    if minimums:
        axes.scatter(
            [m for _, m in minimums],
            [i for i, _ in minimums],
            marker="|",
            s=200,
            color="#c0392b",
            label=tr.gettext("quota minimum"),
        )
    axes.set_yticks(positions, labels, fontsize=7)
    axes.invert_yaxis()
    axes.set_title(tr.gettext("Registrations against the quotas"))
    axes.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
