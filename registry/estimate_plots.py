"""Plots of the multiplier, coverage and projection results, as PNG bytes.

The same kind of pure functions as :mod:`registry.plots` (and its figure, PNG and cache
helpers): plain payload data in, PNG bytes out, matplotlib imported lazily, axis texts
translated in the request's language, legends under the plot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

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
    log_count_ticks,
    wrapped,
)

__all__ = [
    "coverage_bands",
    "mim_regions",
    "multiplier_surveys",
    "projection_scenarios",
    "synthesis_forest",
]

TEXT = {
    "estimate": _l("Estimated number of people (with interval)"),
    "survey": _l("Survey %(n)s"),
    "pooled": _l("Pooled estimate"),
    "registered": _l("Registered users"),
    "benchmark": _l("Benchmark"),
    "coverage": _l("OST coverage, %(unit)s", unit="%"),
    "low": _l("low (under 20%)"),
    "medium": _l("medium (20–40%)"),
    "high": _l("high (over 40%)"),
    "target": _l("target"),
    "year": _l("Year"),
    "projected": _l("Projected number of people"),
    "base": _l("base"),
    "consensus": _l("Consensus"),
    "consensus_interval": _l("Consensus interval"),
    "estimate_log": _l("Estimated number of people (with interval; logarithmic scale)"),
    "mim": _l("MIM estimate (prediction interval)"),
    "anchor": _l("Anchor's own estimate (interval)"),
}
#: Colours of the scenarios, in their order.
COLOURS = (ACCENT, CHOSEN, "#2e7d32", "#6a1b9a", "#ef6c00", MUTED)
#: WHO coverage bands (DOMAIN §4), as proportions, with their shading.
BANDS = (
    ("low", 0.0, 0.2, "#f6d5d3"),
    ("medium", 0.2, 0.4, "#fbeccb"),
    ("high", 0.4, 1.0, "#d9ecd9"),
)


def multiplier_surveys(
    surveys: Sequence[Mapping[str, Any]],
    estimate: Mapping[str, Any] | None,
    *,
    pooled: bool = False,
    registered: float | None = None,
) -> bytes:
    """Each survey's estimate with its interval, the pooled estimate, the registered users.

    ``surveys``: the payload's rows (``label``, ``abundance``, ``ci_low``, ``ci_high``);
    ``estimate``: the payload's estimate, drawn as the bottom row when ``pooled``;
    ``registered``: drawn as a dashed line (an estimate left of it is implausible).
    """
    rows = [
        (str(s.get("label") or TEXT["survey"] % {"n": i + 1}), s, ACCENT)
        for i, s in enumerate(surveys)
        if _finite(s.get("abundance"))
    ]
    if pooled and estimate and _finite(estimate.get("abundance")):
        rows.append((str(TEXT["pooled"]), estimate, CHOSEN))
    figure, axes = _figure(1, 1, (SIZE[0], max(3.0, 1.8 + 0.45 * len(rows))))
    ax = axes[0][0]
    if not rows:
        _empty(ax)
        return _png(figure)
    positions = list(range(len(rows)))[::-1]
    for y, (_, entry, colour) in zip(positions, rows, strict=True):
        low, high = entry.get("ci_low"), entry.get("ci_high")
        if _finite(low) and _finite(high):
            ax.hlines(y, low, high, color=colour, linewidth=2)
        marker = "D" if colour == CHOSEN else "o"
        ax.plot(entry["abundance"], y, marker, color=colour, markersize=7)
    if _finite(registered) and registered:
        ax.axvline(registered, color=MUTED, linestyle="--", label=str(TEXT["registered"]))
    ax.set_yticks(positions, [name for name, _, _ in rows])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(left=0)
    count_ticks(ax.xaxis)
    ax.set_xlabel(wrapped(TEXT["estimate"], 60))
    ax.grid(axis="x", color="#dddddd")
    legend_below(figure, [ax])
    return _png(figure)


def coverage_bands(coverage: Mapping[str, Any], *, target: float | None = None) -> bytes:
    """The coverage with its interval against the WHO bands and the target.

    ``coverage``: the payload's ``coverage`` (proportions: ``coverage``, ``ci_low``,
    ``ci_high``).
    """
    figure, axes = _figure(1, 1, (SIZE[0], 2.6))
    ax = axes[0][0]
    value = coverage.get("coverage")
    if not _finite(value):
        _empty(ax)
        return _png(figure)
    top = max(1.0, float(coverage.get("ci_high") or 0) * 1.05)
    for name, low, high, colour in BANDS:
        ax.axvspan(100 * low, 100 * (high if name != "high" else top), color=colour,
                   label=str(TEXT[name]), linewidth=0)  # fmt: skip
    low, high = coverage.get("ci_low"), coverage.get("ci_high")
    if _finite(low) and _finite(high):
        ax.hlines(0, 100 * low, 100 * high, color=ACCENT, linewidth=3)
    ax.plot(100 * value, 0, "D", color=ACCENT, markersize=9)
    if _finite(target):
        ax.axvline(100 * target, color=CHOSEN, linestyle="--", label=str(TEXT["target"]))
    ax.set_xlim(-1.5, 100 * top)  # a margin: a coverage near 0 is not cut in half
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    ax.set_xlabel(str(TEXT["coverage"]))
    legend_below(figure, [ax])
    return _png(figure)


def projection_scenarios(
    base_year: int,
    base: Mapping[str, Any],
    projections: Sequence[Mapping[str, Any]],
    labels: Mapping[str, str] | None = None,
) -> bytes:
    """Each scenario's projected values from the base year, with its range shaded.

    ``projections``: rows ``scenario``, ``year``, ``value``, ``low``, ``high``;
    ``labels``: the scenarios' names as the page shows them (translated).
    """
    figure, axes = _figure()
    ax = axes[0][0]
    if not _finite(base.get("value")) or not projections:
        _empty(ax)
        return _png(figure)
    labels = labels or {}
    scenarios: dict[str, list[Mapping[str, Any]]] = {}
    for row in projections:
        scenarios.setdefault(str(row["scenario"]), []).append(row)
    for index, (name, rows) in enumerate(scenarios.items()):
        rows = sorted(rows, key=lambda r: r["year"])
        colour = COLOURS[index % len(COLOURS)]
        years = [base_year, *(int(r["year"]) for r in rows)]
        values = [base["value"], *(r["value"] for r in rows)]
        low = [base.get("low") or base["value"], *(r["low"] for r in rows)]
        high = [base.get("high") or base["value"], *(r["high"] for r in rows)]
        ax.plot(years, values, "o-", color=colour, label=labels.get(name, name))
        if all(_finite(v) for v in (*low, *high)):  # ranges overlap: light, edged
            ax.fill_between(years, low, high, color=colour, alpha=0.07, linewidth=0)
            for bound in (low, high):
                ax.plot(years, bound, "--", color=colour, linewidth=0.8, alpha=0.8)
    ax.plot([base_year], [base["value"]], "D", color="#333333", label=str(TEXT["base"]))
    last = max(int(r["year"]) for r in projections)
    ax.set_xticks(range(base_year, last + 1), [str(y) for y in range(base_year, last + 1)])
    ax.set_ylim(bottom=0)
    ax.set_xlabel(str(TEXT["year"]))
    ax.set_ylabel(wrapped(TEXT["projected"], 30))
    ax.grid(axis="y", color="#dddddd")
    legend_below(figure, [ax])
    return _png(figure)


def synthesis_forest(
    inputs: Sequence[Mapping[str, Any]], estimate: Mapping[str, Any] | None
) -> bytes:
    """Each input's estimate with its interval, and the consensus (a band over all rows).

    ``inputs``: the synthesis payload's rows (``job``, ``title``, ``abundance``,
    ``ci_low``, ``ci_high``, ``influence``); ``estimate``: the consensus. The axis is
    logarithmic, the scale on which the inputs are combined.
    """
    rows = [
        (f"#{row.get('job')} {wrapped(row.get('title') or '', 28)}", row, ACCENT)
        for row in inputs
        if _finite(row.get("abundance"))
    ]
    if estimate and _finite(estimate.get("abundance")):
        rows.append((str(TEXT["consensus"]), estimate, CHOSEN))
    figure, axes = _figure(1, 1, (SIZE[0], max(3.0, 1.8 + 0.55 * len(rows))))
    ax = axes[0][0]
    if not rows:
        _empty(ax)
        return _png(figure)
    positions = list(range(len(rows)))[::-1]
    if estimate and _finite(estimate.get("ci_low")) and _finite(estimate.get("ci_high")):
        ax.axvspan(estimate["ci_low"], estimate["ci_high"], color=CHOSEN, alpha=0.12,
                   linewidth=0, label=str(TEXT["consensus_interval"]))  # fmt: skip
    for y, (_, entry, colour) in zip(positions, rows, strict=True):
        low, high = entry.get("ci_low"), entry.get("ci_high")
        if _finite(low) and _finite(high):
            ax.hlines(y, low, high, color=colour, linewidth=2)
        marker = "D" if colour == CHOSEN else "o"
        ax.plot(entry["abundance"], y, marker, color=colour, markersize=7)
    ax.set_xscale("log")
    # numbers as the page writes them (3 000 / 3,000), not powers of ten, on a log axis
    ends = [v for _, e, _ in rows for v in (e.get("ci_low"), e.get("ci_high"), e["abundance"])
            if _finite(v)]  # fmt: skip
    log_count_ticks(ax.xaxis, min(ends), max(ends))
    ax.set_yticks(positions, [name for name, _, _ in rows])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(min(ends) / 1.15, max(ends) * 1.15)  # a margin: the band is not the frame
    ax.set_xlabel(wrapped(TEXT["estimate_log"], 60))
    ax.grid(axis="x", which="major", color="#dddddd")
    legend_below(figure, [ax])
    return _png(figure)


def mim_regions(regions: Sequence[Mapping[str, Any]]) -> bytes:
    """Each region's MIM estimate with its prediction interval; an anchor's own estimate
    (capture-recapture ...) beside it, so the regression's fit can be seen."""
    rows = [r for r in regions if _finite(r.get("estimate"))]
    figure, axes = _figure(1, 1, (SIZE[0], max(3.0, 1.8 + 0.45 * len(rows))))
    ax = axes[0][0]
    if not rows:
        _empty(ax)
        return _png(figure)
    positions = list(range(len(rows)))[::-1]
    labelled: set[str] = set()

    def label(series: str) -> str | None:
        if series in labelled:
            return None
        labelled.add(series)
        return str(TEXT[series])

    for y, entry in zip(positions, rows, strict=True):
        if _finite(entry.get("ci_low")) and _finite(entry.get("ci_high")):
            ax.hlines(y, entry["ci_low"], entry["ci_high"], color=ACCENT, linewidth=2)
        ax.plot(entry["estimate"], y, "o", color=ACCENT, markersize=7, label=label("mim"))
        if entry.get("anchor") and _finite(entry.get("anchor_estimate")):
            low, high = entry.get("anchor_ci") or (None, None)
            if _finite(low) and _finite(high):
                ax.hlines(y - 0.25, low, high, color=CHOSEN, linewidth=2)
            ax.plot(entry["anchor_estimate"], y - 0.25, "D", color=CHOSEN, markersize=6,
                    label=label("anchor"))  # fmt: skip
    russian = str(get_locale() or "") == "ru"
    names = [(russian and r.get("name_ru")) or r.get("name") or r.get("code") for r in rows]
    ax.set_yticks(positions, [str(name) for name in names])
    ax.set_ylim(-0.8, len(rows) - 0.3)
    ax.set_xscale("log")
    drawn = [(r.get("ci_low"), r.get("ci_high"), r["estimate"], *(r.get("anchor_ci") or ()))
             for r in rows]  # fmt: skip
    ends = [v for values in drawn for v in values if _finite(v) and v > 0]
    log_count_ticks(ax.xaxis, min(ends), max(ends))
    ax.set_xlabel(wrapped(TEXT["estimate"], 60))
    ax.grid(axis="x", color="#dddddd")
    legend_below(figure, [ax])
    return _png(figure)
