"""``/ministry/``: the dashboard page and its plots (``/ministry/plot.png``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, g, render_template, request
from flask_babel import lazy_gettext as _l

from registry.auth.roles import roles
from registry.ministry_web import MINISTRY_ROLES, blueprint, charts
from registry.ministry_web.panels import (
    Cell,
    available_years,
    dashboard_panels,
    estimate_years,
    one_panel,
    panel_queries,
)
from registry.plot_cache import cached_png
from registry.services.audit import commit_read
from registry.services.methods.population import KEY_POPULATIONS
from registry.studies_web.common import page_number_format
from registry.studies_web.readable import SHORT_NAMES

#: What a table shows instead of a value, by the row's status.
STATUS_LABELS = {
    "suppressed": _l("suppressed"),
    "no_estimate": _l("no approved estimate"),
    "no_denominator": _l("no denominator"),
    "no_data": _l("no data"),
    "whole_years_only": _l("whole years only"),
}
#: The WHO bands of OST coverage.
BAND_LABELS = {"low": _l("low"), "medium": _l("medium"), "high": _l("high")}

#: Where the panels' figures can be downloaded (the analytics API, CSV rendering).
ANALYTICS_CSV = "/api/v1/analytics.csv"
#: The same as an XLSX workbook (numbers stay numbers in a Russian-locale spreadsheet).
ANALYTICS_XLSX = "/api/v1/analytics.xlsx"


@blueprint.context_processor
def dashboard_helpers() -> dict[str, Any]:
    """``shown(cell, digits)``: a value in the locale's notation, or why it is missing."""

    number = page_number_format()

    def shown(cell: Cell, digits: int = 0) -> str:
        if cell.shown:
            return number(cell.value, digits)
        return str(STATUS_LABELS.get(cell.status, cell.status))

    return {"shown": shown, "band_labels": BAND_LABELS, "key_populations": KEY_POPULATIONS,
            "estimate_methods": SHORT_NAMES}  # fmt: skip


def chosen_year(years: list[int]) -> int | None:
    """The ``year`` asked for if it is one of ``years``, else the latest; 404 if unknown."""
    if not years:
        return None
    asked = request.args.get("year", type=int)
    if asked is None and "year" in request.args:
        abort(404)
    if asked is None:
        return years[0]
    if asked not in years:
        abort(404)
    return asked


def csv_links(year: int, path: str = ANALYTICS_CSV) -> dict[str, str]:
    """The analytics API's CSV (or, with ``path``, XLSX) of each panel."""
    return {name: f"{path}?{urlencode(params)}"
            for name, params in panel_queries(year).items()}  # fmt: skip


@blueprint.route("/")
@roles(*MINISTRY_ROLES)
def dashboard() -> Any:
    """Registered and estimated users by region, HIV among PWID, OST coverage."""
    years = available_years()
    year = chosen_year(years)
    panels = dashboard_panels(year, actor=g.user) if year is not None else None
    commit_read()  # the audit rows of the queries
    return render_template(
        "ministry/dashboard.html",
        years=years,
        year=year,
        panels=panels,
        estimate_years=estimate_years(),
        csv=csv_links(year) if year is not None else {},
        xlsx=csv_links(year, ANALYTICS_XLSX) if year is not None else {},
    )


@blueprint.route("/plot.png")
@roles(*MINISTRY_ROLES)
def plot() -> Any:
    """One plot of the dashboard (``chart`` = regions, hiv or coverage; ``year``)."""
    name = request.args.get("chart", "regions")
    year = chosen_year(available_years())
    if name not in charts.CHARTS or year is None:
        abort(404)
    panel = one_panel(year, name, actor=g.user)
    commit_read()
    image = cached_png(f"ministry-{name}", panel, lambda: charts.CHARTS[name](panel))
    return Response(image, mimetype="image/png")
