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

__all__ = [
    "ACCENT",
    "CHOSEN",
    "DPI",
    "LOG_TICKS",
    "MUTED",
    "SIZE",
    "count_ticks",
    "legend_below",
    "log_count_ticks",
    "wrapped",
]

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


def count_ticks(axis: Any, most: int | None = None) -> None:
    """Label ``axis`` (``ax.xaxis``) with counts as the page writes them: 12 345 in
    Russian, 12,345 in English, never 12345 or 1e4; at most ``most`` ticks (a narrow
    panel: the separated labels are wider)."""
    from flask_babel import format_decimal
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if most is not None:
        axis.set_major_locator(MaxNLocator(nbins=most, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(
        FuncFormatter(lambda value, _: format_decimal(round(value), format="#,##0"))
    )


#: Ticks of a log axis by the decades it spans: (fewer than this many decades, the
#: multiples of each power of ten that get a tick), so that labels never crowd.
LOG_TICKS = (
    (0.5, (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)),
    (1.3, (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)),
    (2.5, (1.0, 2.0, 5.0)),
    (math.inf, (1.0,)),
)


def log_count_ticks(axis: Any, low: float, high: float) -> None:
    """Counts on a log ``axis`` from ``low`` to ``high``: ticks that do not crowd each
    other (:data:`LOG_TICKS`), labelled as the page writes numbers, no minor labels."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    decades = math.log10(high / low)
    subs = next(s for limit, s in LOG_TICKS if decades < limit)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    count_ticks(axis)
    axis.set_minor_formatter(FuncFormatter(lambda value, _: ""))
