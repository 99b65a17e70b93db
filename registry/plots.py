"""Plots of study results, rendered on the server as PNG bytes.

Pure functions from plain result data (the JSON payload of a study, or the estimation
library's result objects turned into it) to PNG bytes: no database, no request. The
result page shows them through ``<img>`` routes, so the browser needs no script and the
Content-Security-Policy stays strict.

The figure, colours and legend helpers are in :mod:`registry.plot_style` (matplotlib
imported lazily, a figure of its own, never ``pyplot``); the cache of drawn images,
:func:`cached_png`, is in :mod:`registry.plot_cache` (re-exported here). Axis texts are
translatable (``lazy_gettext``) and render in the request's language, or in English
outside a request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

from registry.plot_cache import _cache, cached_png  # noqa: F401 (tests clear plots._cache)
from registry.plot_style import (
    ACCENT,
    CHOSEN,
    MUTED,
    SIZE,
    _empty,
    _figure,
    _finite,
    _png,
    count_ticks,
    legend_below,
    wrapped,
)

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
}


def _criteria(rows: Sequence[Mapping[str, Any]]) -> bool:
    """Whether any row has a finite AIC or BIC (count estimators have neither)."""
    return any(_finite(m.get(key)) for m in rows for key in ("aic", "bic"))


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
    count_ticks(left.xaxis, most=4 if right is not None else None)
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
    count_ticks(ax.xaxis)
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
