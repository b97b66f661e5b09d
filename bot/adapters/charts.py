"""Results charts as PNG bytes with matplotlib (Agg backend: no display, safe in any worker)."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import matplotlib as mpl

mpl.use("Agg")

from matplotlib.figure import Figure


class BarCharts:
    """Implements `flows.ports.Charts`: one horizontal bar per answer, largest labels wrapped.

    A `Figure` is built directly rather than through pyplot, so no global state is shared
    between concurrent flow steps.
    """

    def bars(self, title: str, labels: Sequence[str], values: Sequence[float]) -> bytes:
        height = 1.2 + 0.45 * max(1, len(labels))
        figure = Figure(figsize=(7.0, height), dpi=100)
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
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
