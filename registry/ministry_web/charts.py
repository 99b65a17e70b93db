"""The dashboard's plots, drawn on the server as PNG from a :class:`Panel`'s shown cells.

A withheld (suppressed) or missing value is not drawn: the plot shows what the table
shows, nothing more. Drawing uses the figure helpers of :mod:`registry.plots` (Agg
canvas, no pyplot, translatable axis texts).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from registry.ministry_web.panels import Panel
from registry.plot_style import (
    ACCENT,
    CHOSEN,
    MUTED,
    _empty,
    _figure,
    _png,
    count_ticks,
    legend_below,
    wrapped,
)

TEXT = {
    "registered": _l("Registered clients"),
    "estimated": _l("Estimated people who use drugs (interval)"),
    "people": _l("People"),
    "prevalence": _l("HIV prevalence among tested PWID, %"),
    "year": _l("Year"),
    "coverage": _l("OST coverage of estimated users, %"),
    "low_band": _l("WHO: low under 20%"),
    "high_band": _l("WHO: high over 40%"),
}


def registered_vs_estimated(panel: Panel) -> bytes:
    """Horizontal bars per region: registered clients, estimate with its interval."""
    figure, axes = _figure()
    ax = axes[0][0]
    regions = panel.rows_at(2)
    labelled: set[str] = set()  # each series named once in the legend

    def label(series: str) -> str | None:
        if series in labelled:
            return None
        labelled.add(series)
        return str(TEXT[series])

    for position, (key, _name) in enumerate(regions):
        registered = panel.cell(key, "REG_CLIENTS")
        estimate = panel.cell(key, "EST_USERS")
        if registered.shown:
            ax.barh(position - 0.2, registered.value, height=0.4, color=ACCENT,
                    label=label("registered"))  # fmt: skip
        if estimate.shown:
            low, high = panel.cell(key, "EST_USERS_LOW"), panel.cell(key, "EST_USERS_HIGH")
            error = None
            if low.shown and high.shown:
                error = [[estimate.value - low.value], [high.value - estimate.value]]
            ax.barh(position + 0.2, estimate.value, height=0.4, color=MUTED, xerr=error,
                    label=label("estimated"))  # fmt: skip
    if not labelled:
        _empty(ax)
        return _png(figure)
    ax.set_yticks(range(len(regions)), [label for _key, label in regions])
    ax.invert_yaxis()
    count_ticks(ax.xaxis)
    ax.set_xlabel(str(TEXT["people"]))
    legend_below(figure, [ax])  # never over the bottom region's bar
    return _png(figure)


def hiv_trend(panel: Panel) -> bytes:
    """HIV prevalence among tested PWID by year (the country), shown years only."""
    figure, axes = _figure()
    ax = axes[0][0]
    country = [key for key, _ in panel.rows]
    points = [(int(year), panel.cell(year, "HIV_PWID_PREVALENCE")) for year in country]
    points = [(year, cell.value) for year, cell in points if cell.shown]
    if not points:
        _empty(ax)
        return _png(figure)
    years, values = zip(*points, strict=True)
    ax.plot(years, values, marker="o", color=CHOSEN)
    ax.set_xticks(list(years))
    ax.set_xlabel(str(TEXT["year"]))
    ax.set_ylabel(wrapped(TEXT["prevalence"], 30))
    ax.set_ylim(bottom=0)
    return _png(figure)


def ost_coverage(panel: Panel) -> bytes:
    """OST coverage by region with the WHO bands' limits (20% and 40%)."""
    figure, axes = _figure()
    ax = axes[0][0]
    regions = [(k, label, panel.cell(k, "OST_COVERAGE")) for k, label in panel.rows_at(2)]
    shown = [(label, cell.value) for _k, label, cell in regions if cell.shown]
    if not shown:
        _empty(ax)
        return _png(figure)
    labels, values = zip(*shown, strict=True)
    ax.barh(range(len(values)), values, color=ACCENT)
    ax.set_yticks(range(len(values)), labels)
    ax.invert_yaxis()
    ax.axvline(20, color=MUTED, linestyle="--", label=str(TEXT["low_band"]))
    ax.axvline(40, color=CHOSEN, linestyle="--", label=str(TEXT["high_band"]))
    ax.set_xlabel(str(TEXT["coverage"]))
    legend_below(figure, [ax])  # never over the bottom region's bar
    return _png(figure)


#: The plots by name (the ``chart`` of ``/ministry/plot.png``; the panel of the same name).
CHARTS = {
    "regions": registered_vs_estimated,
    "hiv": hiv_trend,
    "coverage": ost_coverage,
}
