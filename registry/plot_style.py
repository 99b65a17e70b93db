"""What every plot of the registry shares: size, colours, the figure, PNG bytes, legends.

matplotlib is imported lazily (only when a plot is drawn) with the non-interactive Agg
canvas on a :class:`~matplotlib.figure.Figure` of its own, never ``pyplot``: no global
state, safe in a threaded server. Used by :mod:`registry.plots` (study results),
:mod:`registry.estimate_plots` and :mod:`registry.ministry_web.charts`.
"""

from __future__ import annotations

import io
import math
import textwrap
from typing import Any

from flask_babel import lazy_gettext as _l

__all__ = ["ACCENT", "CHOSEN", "DPI", "MUTED", "SIZE", "legend_below", "wrapped"]

#: Figure size in inches at :data:`DPI`: 720 x 400 pixels, readable on a laptop.
SIZE = (7.2, 4.0)
DPI = 100
ACCENT = "#0b5cad"
MUTED = "#8a96a3"
CHOSEN = "#b3261e"
NO_DATA = _l("No data to plot")


def _figure(rows: int = 1, cols: int = 1, size: tuple[float, float] = SIZE) -> Any:
    from matplotlib.figure import Figure  # lazy: only the plot routes need matplotlib

    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False)
    return figure, axes


def _png(figure: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _empty(ax: Any) -> None:
    ax.text(0.5, 0.5, str(NO_DATA), ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def wrapped(text: Any, width: int = 38) -> str:
    """An axis label broken into lines of at most ``width`` characters, so a long (Russian)
    label is never cut off at the figure's edge."""
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def legend_below(figure: Any, axes: Any) -> None:
    """The legend of ``axes`` under the plot, never over its data (top rows, first years)."""
    handles, labels = [], []
    for ax in axes:
        more, texts = ax.get_legend_handles_labels()
        handles.extend(more)
        labels.extend(texts)
    if handles:
        figure.legend(handles, labels, loc="outside lower center", ncols=min(4, len(handles)),
                      fontsize="small", frameon=False)  # fmt: skip
