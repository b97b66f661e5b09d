"""Charts as PNG bytes with matplotlib (Agg backend: no display, safe in any worker): poll results, quotas."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flows.ports import QuotaBar

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _figure(**options: Any) -> Figure:
    """A new figure; matplotlib (tens of MiB) is imported by the first chart, not by the bot's start."""
    import matplotlib as mpl  # noqa: PLC0415 (only a chart needs it)

    mpl.use("Agg")
    from matplotlib.figure import Figure  # noqa: PLC0415 (after choosing the backend)

    return Figure(**options)


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


class BarCharts:
    """Implements `flows.ports.Charts` with horizontal bars.

    A `Figure` is built directly rather than through pyplot, so no global state is shared
    between concurrent flow steps.
    """

    def bars(self, title: str, labels: Sequence[str], values: Sequence[float]) -> bytes:
        """One bar per answer, long labels shortened."""
        height = 1.2 + 0.45 * max(1, len(labels))
        figure = _figure(figsize=(7.0, height), dpi=100)
        axes = figure.subplots()
        wrapped = [textwrap.shorten(label, 60, placeholder="…") for label in labels]
        positions = list(range(len(labels)))[::-1]
        axes.barh(positions, values, color="#2b8a3e")
        axes.set_yticks(positions, wrapped)
        axes.set_title(textwrap.shorten(title, 90, placeholder="…"), fontsize=11)
        for position, value in zip(positions, values, strict=True):
            axes.annotate(
                f"{value:g}", (value, position), xytext=(3, 0), textcoords="offset points", va="center"
            )
        axes.spines[["top", "right"]].set_visible(False)
        return _png(figure)

    def quota_chart(
        self, title: str, bars: Sequence[QuotaBar], *, registered: str, confirmed: str, minimum: str
    ) -> bytes:
        """Registered (wide bar) and confirmed (narrow bar) per value, the quota's minimum as a tick."""
        labels = [bar.label for bar in bars] or ["-"]
        figure = _figure(figsize=(8, max(3.0, 0.28 * len(labels) + 1.2)), dpi=100)
        axes = figure.subplots()
        positions = list(range(len(labels)))
        axes.barh(
            positions, [bar.registered for bar in bars] or [0], height=0.8, color="#7fa7d9", label=registered
        )
        axes.barh(
            positions, [bar.confirmed for bar in bars] or [0], height=0.4, color="#2a5d9f", label=confirmed
        )
        minimums = [(i, bar.minimum) for i, bar in enumerate(bars) if bar.minimum]
        if minimums:
            axes.scatter(
                [m for _, m in minimums],
                [i for i, _ in minimums],
                marker="|",
                s=200,
                color="#c0392b",
                label=minimum,
            )
        axes.set_yticks(positions, labels, fontsize=7)
        axes.invert_yaxis()
        axes.set_title(title)
        axes.legend(fontsize=7, loc="lower right")
        return _png(figure)
