"""Plots of study results, rendered on the server as PNG bytes.

Pure functions from plain result data (the JSON payload of a study, or the estimation
library's result objects turned into it) to PNG bytes: no database, no request. The
result page shows them through ``<img>`` routes, so the browser needs no script and the
Content-Security-Policy stays strict.

matplotlib is imported lazily (only when a plot is drawn) with the non-interactive Agg
canvas on a :class:`~matplotlib.figure.Figure` of its own, never ``pyplot``: no global
state, safe in a threaded server. Axis texts are translatable (``lazy_gettext``) and render
in the request's language, or in English outside a request.

Drawing a plot takes 50-400 ms of CPU, more than any page, and a plot is asked for again
and again with the same data (the ministry dashboard of a year, a study's result), so
:func:`cached_png` keeps the last :data:`CACHE_SIZE` images of each server process, keyed
by the plot, the language and the data drawn: different data is a different key, so a
cached image is never stale. The images are also kept as files in ``PLOT_CACHE_FOLDER``
(default ``instance/plots``; mode 0700, files 0600; the :data:`DISK_CACHE_SIZE` newest),
so the server processes draw each image once between them, not once each, and a restart
does not draw them all again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import math
import os
import textwrap
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

__all__ = [
    "bootstrap_distribution",
    "cached_png",
    "hiv_figure",
    "hiv_prevalence",
    "kaplan_meier",
    "legend_below",
    "model_comparison",
    "model_figure",
    "wrapped",
]

#: Figure size in inches at :data:`DPI`: 720 x 400 pixels, readable on a laptop.
SIZE = (7.2, 4.0)
DPI = 100
ACCENT = "#0b5cad"
MUTED = "#8a96a3"
CHOSEN = "#b3261e"

TEXT = {
    "model": _l("Model"),
    "estimate": _l("Estimated number of people (%(level)s interval)", level="95%"),
    "criterion": _l("Information criterion"),
    "chosen": _l("chosen model"),
    "point": _l("the estimate"),
    "bootstrap_interval": _l("Bootstrap interval"),
    "average": _l("model average with its interval"),
    "replicates": _l("Bootstrap replicates"),
    "count": _l("Number of replicates"),
    "year": _l("Year"),
    "prevalence": _l("HIV prevalence, %(unit)s (%(level)s Wilson interval)", unit="%", level="95%"),
    "months": _l("Months since start"),
    "retention": _l("Retained in treatment"),
    "no_data": _l("No data to plot"),
}


#: Images kept by :func:`cached_png` in each server process (a plot is 20-60 kB).
CACHE_SIZE = 128
_cache: OrderedDict[str, bytes] = OrderedDict()
_cache_lock = threading.Lock()


def cached_png(name: str, data: Any, draw: Callable[[], bytes]) -> bytes:
    """``draw()``, or the image it gave before for the same ``name``, language and ``data``.

    ``data`` is everything the plot shows (its ``repr`` is the key: plain values,
    dataclasses and dicts of them); least recently used images are dropped first.
    """
    basis = (name, str(get_locale()), data, drawing_version())
    key = hashlib.sha256(repr(basis).encode()).hexdigest()
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    folder = _disk_folder()
    image = _read(folder / f"{key}.png") if folder else None
    if image is None:
        image = draw()
        if folder:
            _write(folder, key, image)
    with _cache_lock:
        _cache[key] = image
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return image


#: The modules whose code draws the cached images (relative to the ``registry`` package).
DRAWING_MODULES = ("plots.py", "estimate_plots.py", "ministry_web/charts.py")


@functools.cache
def drawing_version() -> str:
    """A digest of the drawing code, part of every image's key: after an upgrade that
    changes how a plot is drawn, the files drawn by the old code are never served."""
    digest = hashlib.sha256()
    for name in DRAWING_MODULES:
        with contextlib.suppress(OSError):
            digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


#: Image files kept in ``PLOT_CACHE_FOLDER``; the oldest are deleted beyond it.
DISK_CACHE_SIZE = 2048


def _disk_folder() -> Path | None:
    folder = current_app.config.get("PLOT_CACHE_FOLDER") if has_app_context() else None
    return Path(folder) if folder else None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write(folder: Path, key: str, image: bytes) -> None:
    """Store ``image`` as ``folder/key.png`` whole or not at all (another process may be
    reading); keep the :data:`DISK_CACHE_SIZE` newest files."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = folder / f".{key}.{os.getpid()}.{threading.get_ident()}"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(image)
        os.replace(partial, folder / f"{key}.png")
        files = list(folder.glob("*.png"))
        if len(files) > DISK_CACHE_SIZE:
            files.sort(key=lambda path: path.stat().st_mtime)
            for path in files[: len(files) - DISK_CACHE_SIZE]:
                with contextlib.suppress(OSError):
                    path.unlink()
    except OSError:  # a full or read-only disk: the image is still served
        return


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
    ax.text(0.5, 0.5, str(TEXT["no_data"]), ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _criteria(rows: Sequence[Mapping[str, Any]]) -> bool:
    """Whether any row has a finite AIC or BIC (count estimators have neither)."""
    return any(_finite(m.get(key)) for m in rows for key in ("aic", "bic"))


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


def model_comparison(
    models: Sequence[Mapping[str, Any]],
    *,
    chosen: str | None = None,
    limit: int = 15,
    average: Mapping[str, Any] | None = None,
) -> bytes:
    """:func:`model_figure` as PNG."""
    return _png(model_figure(models, chosen=chosen, limit=limit, average=average))


def model_figure(
    models: Sequence[Mapping[str, Any]],
    *,
    chosen: str | None = None,
    limit: int = 15,
    average: Mapping[str, Any] | None = None,
) -> Any:
    """Estimates with intervals (left) and AIC/BIC (right) of each fitted model.

    Parameters
    ----------
    models
        Rows as :meth:`LoglinearResult.to_dict` gives them: ``name``, ``abundance``,
        ``ci_low``, ``ci_high``, ``aic``, ``bic`` (``None`` where not finite). Drawn in the
        given order (a search ranks them), at most ``limit`` rows. Without any AIC or BIC
        (count estimators) the criterion panel is left out.
    chosen
        Name of the chosen model, drawn in red.
    average
        A model-averaged estimate (``abundance``, ``ci_low``, ``ci_high``), drawn in red
        across the models as a line with its interval shaded.

    The legends sit under the plot, so they never hide the top model's row.
    """
    rows = [m for m in models if _finite(m.get("abundance"))][:limit]
    height = max(SIZE[1], 1.6 + 0.32 * len(rows))
    with_criteria = _criteria(rows)
    if with_criteria:
        figure, axes = _figure(1, 2, (SIZE[0] + 2.0, height))
        left, right = axes[0]
    else:
        figure, axes = _figure(1, 1, (SIZE[0], height))
        left, right = axes[0][0], None
    if not rows:
        for ax in axes[0]:
            _empty(ax)
        return figure
    names = [str(m["name"]) for m in rows]
    positions = list(range(len(rows)))[::-1]
    for y, m in zip(positions, rows, strict=True):
        colour = CHOSEN if m["name"] == chosen else ACCENT
        low, high = m.get("ci_low"), m.get("ci_high")
        if _finite(low) and _finite(high):
            left.hlines(y, low, high, color=colour, linewidth=2)
        left.plot(m["abundance"], y, "o", color=colour)
    if average and _finite(average.get("abundance")):
        low, high = average.get("ci_low"), average.get("ci_high")
        if _finite(low) and _finite(high):
            left.axvspan(low, high, color=CHOSEN, alpha=0.12, linewidth=0)
        left.axvline(average["abundance"], color=CHOSEN, linewidth=2, label=str(TEXT["average"]))
    left.set_yticks(positions, names)
    left.set_ylim(-0.7, len(rows) - 0.3)
    left.set_xlabel(wrapped(TEXT["estimate"], 60))
    left.grid(axis="x", color="#dddddd")
    if right is not None:
        for key, marker in (("aic", "s"), ("bic", "^")):
            values = [(y, m.get(key)) for y, m in zip(positions, rows, strict=True)]
            points = [(y, v) for y, v in values if _finite(v)]
            if points:
                right.plot([v for _, v in points], [y for y, _ in points], marker,
                           label=key.upper(), color=ACCENT if key == "aic" else MUTED)  # fmt: skip
        right.set_yticks(positions, [""] * len(positions))
        right.set_ylim(-0.7, len(rows) - 0.3)
        right.set_xlabel(str(TEXT["criterion"]))
        right.grid(axis="x", color="#dddddd")
    legend_below(figure, axes[0])
    return figure


def bootstrap_distribution(
    replicates: Sequence[float | None],
    *,
    estimate: float | None = None,
    ci_low: float | None = None,
    ci_high: float | None = None,
) -> bytes:
    """Histogram of the bootstrap replicates with the estimate and the interval marked."""
    values = [float(v) for v in replicates if _finite(v)]
    figure, axes = _figure()
    ax = axes[0][0]
    if not values:
        _empty(ax)
        return _png(figure)
    ax.hist(values, bins=min(40, max(5, len(values) // 10)), color=ACCENT, alpha=0.75)
    if _finite(estimate):
        ax.axvline(estimate, color=CHOSEN, linewidth=2, label=str(TEXT["point"]))
    for index, bound in enumerate(b for b in (ci_low, ci_high) if _finite(b)):
        label = str(TEXT["bootstrap_interval"]) if index == 0 else None
        ax.axvline(bound, color="#333333", linestyle="--", linewidth=1, label=label)
    legend_below(figure, [ax])
    ax.set_xlabel(str(TEXT["replicates"]))
    ax.set_ylabel(str(TEXT["count"]))
    return _png(figure)


def hiv_prevalence(years: Sequence[Mapping[str, Any]]) -> bytes:
    """:func:`hiv_figure` as PNG."""
    return _png(hiv_figure(years))


def hiv_figure(years: Sequence[Mapping[str, Any]]) -> Any:
    """Yearly HIV prevalence (%) with Wilson intervals.

    ``years``: rows with ``year``, ``prevalence``, ``ci_low``, ``ci_high`` (proportions,
    as :class:`estimation.hiv_trend.YearPrevalence`).
    """
    rows = sorted((r for r in years if _finite(r.get("prevalence"))), key=lambda r: r["year"])
    figure, axes = _figure()
    ax = axes[0][0]
    if not rows:
        _empty(ax)
        return figure
    x = [int(r["year"]) for r in rows]
    y = [100 * r["prevalence"] for r in rows]
    low = [100 * (r["prevalence"] - r["ci_low"]) for r in rows]
    high = [100 * (r["ci_high"] - r["prevalence"]) for r in rows]
    ax.errorbar(x, y, yerr=[low, high], fmt="o-", color=ACCENT, capsize=4)
    ax.set_xticks(x, [str(v) for v in x])
    ax.set_ylim(bottom=0)
    ax.set_xlabel(str(TEXT["year"]))
    ax.set_ylabel(wrapped(TEXT["prevalence"], 30))
    ax.grid(axis="y", color="#dddddd")
    return figure


def kaplan_meier(curves: Mapping[str, Mapping[str, Sequence[float]]]) -> bytes:
    """Kaplan-Meier retention curves with their confidence bands.

    ``curves``: label -> ``{"times", "survival", "ci_low", "ci_high"}`` (the fields of
    :class:`estimation.retention.RetentionCurve`); one step curve per stratum.
    """
    figure, axes = _figure()
    ax = axes[0][0]
    drawn = 0
    colours = [ACCENT, CHOSEN, "#2e7d32", "#6a1b9a", "#ef6c00", MUTED]
    for index, (label, curve) in enumerate(curves.items()):
        times = [0.0, *curve.get("times", ())]
        if len(times) < 2:
            continue
        colour = colours[index % len(colours)]
        ax.step(times, [1.0, *curve["survival"]], where="post", color=colour, label=str(label))
        ax.fill_between(
            times,
            [1.0, *curve["ci_low"]],
            [1.0, *curve["ci_high"]],
            step="post",
            alpha=0.18,
            color=colour,
        )
        drawn += 1
    if not drawn:
        _empty(ax)
        return _png(figure)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel(str(TEXT["months"]))
    ax.set_ylabel(wrapped(TEXT["retention"], 30))
    ax.grid(color="#eeeeee")
    if len(curves) > 1:
        legend_below(figure, [ax])
    return _png(figure)
