"""Charts as PNG bytes with matplotlib (Agg backend: no display, safe in any worker): poll results, quotas."""

from __future__ import annotations

import functools
import io
import textwrap
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flows.ports import QuotaBar

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PALETTE = ("#2b8a3e", "#868e96", "#e67700", "#c92a2a", "#1c7ed6", "#7048e8", "#0b7285", "#d6336c")
"""One colour per answer, never the same for two neighbours: green, grey, orange and red first, so a
proposal's agree, abstain, disagree and block read as such."""


@functools.cache
def _matplotlib() -> Any:
    """matplotlib (tens of MiB) is imported by the first chart, not by the bot's start."""
    import matplotlib as mpl  # noqa: PLC0415 (only a chart needs it)

    mpl.use("Agg")
    return mpl


def _figure(**options: Any) -> Figure:
    _matplotlib()
    from matplotlib.figure import Figure  # noqa: PLC0415 (after choosing the backend)

    return Figure(**options)


@functools.cache
def _glyphs() -> frozenset[int]:
    """The code points the charts' font can draw (DejaVu Sans: Latin, Arabic, no emoji)."""
    mpl = _matplotlib()
    from matplotlib import font_manager  # noqa: PLC0415
    from matplotlib.ft2font import FT2Font  # noqa: PLC0415

    path = font_manager.findfont(mpl.rcParams["font.sans-serif"][0])
    return frozenset(FT2Font(path).get_charmap())


def drawable(text: str) -> str:
    """`text` as the chart font can show it: characters it lacks (emoji such as ✅) are left out
    rather than drawn as empty boxes, and Arabic is joined and laid out right to left."""
    lines = ["".join(ch for ch in line if ord(ch) in _glyphs()).strip() for line in text.split("\n")]
    if any(unicodedata.bidirectional(ch) in ("AL", "R") for line in lines for ch in line):
        import arabic_reshaper  # noqa: PLC0415 (only Arabic needs shaping)
        from bidi import get_display  # noqa: PLC0415

        lines = [str(get_display(arabic_reshaper.reshape(line))) for line in lines]
    return "\n".join(lines)


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

    def bars(self, title: str, labels: Sequence[str], values: Sequence[float], *, axis: str = "") -> bytes:
        """One bar per answer, each its own colour, long labels shortened, the title wrapped whole."""
        height = 1.6 + 0.45 * max(1, len(labels))
        figure = _figure(figsize=(7.0, height), dpi=100)
        axes = figure.subplots()
        shown = [drawable(textwrap.shorten(label, 60, placeholder="…")) for label in labels]
        positions = list(range(len(labels)))[::-1]
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(labels))]
        axes.barh(positions, values, color=colours)
        axes.set_yticks(positions, shown)
        axes.set_title(drawable(textwrap.fill(title, 70)), fontsize=11)
        from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 (matplotlib is loaded by now)

        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel(drawable(axis))
        for position, value in zip(positions, values, strict=True):
            axes.annotate(
                f"{value:g}", (value, position), xytext=(3, 0), textcoords="offset points", va="center"
            )
        axes.spines[["top", "right"]].set_visible(False)
        return _png(figure)

    def quota_chart(
        self,
        title: str,
        bars: Sequence[QuotaBar],
        *,
        registered: str,
        confirmed: str,
        minimum: str,
        axis: str = "",
    ) -> bytes:
        """Registered (wide bar) and confirmed (narrow bar) per value, the quota's minimum as a tick;
        heading rows in bold; the legend below the bars, where it hides nothing."""
        labels = [drawable(textwrap.shorten(bar.label, 60, placeholder="…")) for bar in bars] or ["-"]
        figure = _figure(figsize=(8, max(3.0, 0.28 * len(labels) + 2.0)), dpi=100)
        axes = figure.subplots()
        positions = list(range(len(labels)))
        axes.barh(
            positions,
            [bar.registered for bar in bars] or [0],
            height=0.8,
            color="#7fa7d9",
            label=drawable(registered),
        )
        axes.barh(
            positions,
            [bar.confirmed for bar in bars] or [0],
            height=0.4,
            color="#2a5d9f",
            label=drawable(confirmed),
        )
        minimums = [(i, bar.minimum) for i, bar in enumerate(bars) if bar.minimum]
        if minimums:
            axes.scatter(
                [m for _, m in minimums],
                [i for i, _ in minimums],
                marker="|",
                s=200,
                color="#c0392b",
                label=drawable(minimum),
            )
        axes.set_yticks(positions, labels, fontsize=7)
        for tick, bar in zip(axes.get_yticklabels(), bars, strict=False):
            if bar.heading:
                tick.set_fontweight("bold")
        axes.invert_yaxis()
        from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 (matplotlib is loaded by now)

        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel(drawable(axis))
        axes.set_title(drawable(textwrap.fill(title, 80)))
        axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
        return _png(figure)
