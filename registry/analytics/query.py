"""Answering an analytics request: resolve org units, count, suppress, project, audit.

Public interface::

    ANALYTICS_ROLES = (ADMIN, EPIDEMIOLOGIST, MINISTRY)
    run_query(request: AnalyticsRequest, *, actor: User) -> AnalyticsResponse
    answer_unaudited(request: AnalyticsRequest) -> AnalyticsResponse
        # the same answer with no caller: only for the server's own use (the worker
        # drawing the ministry plots ahead); never give it to anyone
    AnalyticsResponse(headers, rows, meta_data)  # .as_json() .as_csv() .as_adx() .as_xlsx()

Clinic staff get no analytics at all (AccessDenied): their centre's own small counts are
exactly what suppression hides, and they have the clinic pages for their own clients.
A row is ``[dx, pe, ou, (sex), (age or co), value, status]``; ``status`` is ``ok``,
``suppressed`` (value withheld), ``no_estimate`` (no approved estimate for the area and
period), ``no_denominator`` (zero denominator) or ``whole_years_only`` (a flow indicator
asked for a part of a year). OST coverage rows get their WHO band (low under 20%,
medium 20-40%, high over 40%) in ``metaData.whoBands``. Rows worked out from an approved
estimate name its population in ``metaData.estimatePopulations`` (``{"pe", "ou",
"population", "method"}``, ``population`` None when the result did not record it,
``method`` the study method that made the estimate); an OST coverage
row whose estimate is not of opioid-dependent PWID adds ``"warning":
"coverage_population"`` there. ``EST_PER_REG`` divides by the register count the
approved result divided by (:mod:`registry.services.methods.population`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from registry.analytics import cache, formats, sql, store, workbook
from registry.analytics.estimates import approved_estimates
from registry.analytics.indicators import (
    CATEGORY_OPTIONS,
    COUNT,
    ESTIMATE,
    FAMILIES,
    INDICATORS,
    PERCENT,
    RATE,
    RATIO,
    TOTAL,
    Indicator,
    family_of,
    who_band,
)
from registry.analytics.periods import YEAR, Period
from registry.analytics.request import AnalyticsRequest
from registry.analytics.tables import (
    CanonicalTable,
    Geography,
    Unit,
    canonical_table,
    population_cube,
)
from registry.models import User
from registry.models.users import ADMIN, EPIDEMIOLOGIST, MINISTRY
from registry.services.access import AccessDenied
from registry.services.audit import record_event
from registry.services.errors import ServiceError
from registry.services.methods.population import COVERAGE_POPULATION

ANALYTICS_ROLES = (ADMIN, EPIDEMIOLOGIST, MINISTRY)


@dataclass
class AnalyticsResponse:
    """DHIS2-like answer: ``headers`` (name, column), ``rows`` and ``meta_data``.

    ``num_den`` holds, for each row, the ``(numerator, denominator, factor)`` its value
    was worked out from (``None`` for a count or a withheld value); the DHIS2 face shows
    them on ``includeNumDen=true`` (they are cells published on their own anyway).
    """

    headers: list[dict[str, str]]
    rows: list[list[Any]]
    meta_data: dict[str, Any]
    num_den: list[tuple[Any, Any, float] | None] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """``{"headers", "rows", "metaData", "height", "width"}`` as DHIS2 names them."""
        return {"headers": self.headers, "rows": self.rows, "metaData": self.meta_data,
                "height": len(self.rows), "width": len(self.headers)}  # fmt: skip

    def as_csv(self) -> str:
        """CSV with a header line of column names; a withheld value is empty."""
        return formats.to_csv(self)

    def as_adx(self) -> bytes:
        """IHE QRPH ADX XML (codes as identifiers); withheld values are left out."""
        return formats.to_adx(self)

    def as_xlsx(self) -> bytes:
        """An XLSX workbook: the rows with number cells, then a legend of the codes."""
        return workbook.answer_workbook(self)


def ensure_analytics(actor: User | None) -> None:
    """Raise :class:`AccessDenied` unless ``actor`` is an active analytics user."""
    if actor is None or not actor.active or actor.role not in ANALYTICS_ROLES:
        raise AccessDenied("analytics are for ministry, epidemiologist and admin users")


def resolve_units(request: AnalyticsRequest, geography: Geography) -> list[Unit]:
    """The org units of the ``ou`` dimension (codes, or LEVEL-n under them)."""
    roots = []
    for code in request.org_units:
        if code not in geography.by_code:
            raise ServiceError(_l("There is no org unit with this code."), "ou")
        roots.append(geography.by_code[code])
    if not request.levels:
        return roots
    units = [
        unit
        for unit in sorted(geography.units.values(), key=lambda u: (u.level, u.code))
        if unit.level in request.levels
        and (not roots or any(unit.path.startswith(root.path) for root in roots))
    ]
    return list(dict.fromkeys(units))


def _counts_needed(indicator: Indicator) -> list[str]:
    if indicator.kind == COUNT:
        return [indicator.code]
    return [c for c in (indicator.numerator, indicator.denominator) if family_of(c or "")]


def _period_allowed(indicator: Indicator, period: Period) -> bool:
    return indicator.stock or period.kind == YEAR


def _tables(request: AnalyticsRequest, geography: Geography) -> tuple[dict, dict[str, Any]]:
    """Canonical tables ``{(family, period iso): CanonicalTable}`` the request needs, and
    where they came from: the stored analytics tables where they hold the period (a flow
    family's year, a census at a year's end), counted now otherwise."""
    wanted: dict[str, set[Period]] = defaultdict(set)
    for code in request.indicators:
        indicator = INDICATORS[code]
        for count in _counts_needed(indicator):
            family = family_of(count)
            for period in request.periods:
                if _period_allowed(indicator, period):
                    wanted[family].add(period)
    threshold = current_app.config["SUPPRESSION_THRESHOLD"]
    generation = store.current_generation()
    if generation is not None and generation.threshold != threshold:
        generation = None
    tables: dict[tuple[str, str], Any] = {}
    counted_now: list[str] = []
    from_store = False
    for family, periods in wanted.items():
        ordered = sorted(periods)
        if FAMILIES[family].stock:  # a census: one table per last day, whatever the period
            ordered = list({period.end: period for period in ordered}.values())
        stored = {}
        if generation is not None:
            usable = [p.end for p in ordered if FAMILIES[family].stock or p.kind == YEAR]
            stored = store.stored_tables(generation, family, usable)
            from_store = from_store or bool(stored)
        live = [period for period in ordered if period.end not in stored]
        for period in ordered:
            if period.end in stored:
                tables[(family, period.iso)] = stored[period.end]
        for iso, leaf in cache.family_counts(family, live).items() if live else ():
            tables[(family, iso)] = canonical_table(family, geography, leaf, threshold=threshold)
            counted_now.append(f"{family}:{iso}")
        for period in periods:
            census = next(p for p in ordered if p.end == period.end)
            tables[(family, period.iso)] = tables[(family, census.iso)]
    source = {
        "lastAnalyticsTableGeneration": (
            generation.finished_at.isoformat() if generation and from_store else None
        ),
        "countedAtRequest": sorted(counted_now),
    }
    return tables, source


class _Cells:
    """Values of counts, populations and estimates for one request."""

    def __init__(self, request: AnalyticsRequest, geography: Geography) -> None:
        self.tables: dict[tuple[str, str], CanonicalTable]
        self.tables, self.source = _tables(request, geography)
        self.geography = geography
        self.populations: dict[int, dict] = {}
        if "REG_PER_100K" in request.indicators:
            years = {period.end.year for period in request.periods}
            for year, rows in sql.populations(years).items():
                self.populations[year] = population_cube(geography, rows)
        self.periods = [period.iso for period in request.periods]
        self.estimates: dict[tuple[str, str], Any] | None = None  # read at the first need

    def count(self, code: str, period: Period, unit: Unit, sex: str, x: str) -> int | None:
        table = self.tables[(family_of(code), period.iso)]
        return table.cell(code, unit.id, sex, x)

    def estimate(self, unit: Unit, period: Period):
        if self.estimates is None:
            self.estimates = approved_estimates(self.periods)
        return self.estimates.get((unit.code, period.iso))


def _value(cells: _Cells, indicator: Indicator, period: Period, unit: Unit, sex: str,
                x: str):  # fmt: skip
    """``(value, status, (numerator, denominator, factor) or None)`` of one row."""
    if not _period_allowed(indicator, period):
        return None, "whole_years_only", None
    if indicator.kind == COUNT:
        value = cells.count(indicator.code, period, unit, sex, x)
        return value, "ok" if value is not None else "suppressed", None
    if indicator.kind in (PERCENT, RATE):
        numerator = cells.count(indicator.numerator, period, unit, sex, x)
        if indicator.denominator == "POPULATION":
            cube = cells.populations.get(period.end.year, {})
            denominator = cube.get((unit.id, sex, x), 0)
        else:
            denominator = cells.count(indicator.denominator, period, unit, sex, x)
        if numerator is None or denominator is None:
            return None, "suppressed", None
        if not denominator:
            return None, "no_denominator", None
        value = round(indicator.factor * numerator / denominator, 1)
        return value, "ok", (numerator, denominator, indicator.factor)
    estimate = cells.estimate(unit, period)
    if estimate is None:
        return None, "no_estimate", None
    if estimate.withheld:  # it would give a withheld count away (docs/methods/mim.md)
        return None, "suppressed", None
    if indicator.kind == ESTIMATE:
        value = {"EST_USERS": estimate.value, "EST_USERS_LOW": estimate.low,
                 "EST_USERS_HIGH": estimate.high}[indicator.code]  # fmt: skip
        return (round(value), "ok", None) if value is not None else (None, "no_estimate", None)
    assert indicator.kind == RATIO
    count_code = next(c for c in (indicator.numerator, indicator.denominator) if c != "EST_USERS")
    count = cells.count(count_code, period, unit, TOTAL, TOTAL)
    if count is None:
        return None, "suppressed", None
    if indicator.code == "EST_PER_REG":
        # the result's own denominator (the same definition, counted when it ran), so the
        # ratio reads as on its result page; today's count for an older result
        denominator = estimate.registered if estimate.registered is not None else count
        if not denominator:
            return None, "no_denominator", None
        if denominator < current_app.config["SUPPRESSION_THRESHOLD"]:
            return None, "suppressed", None
        return round(estimate.value / denominator, 2), "ok", (estimate.value, denominator, 1.0)
    value = round(indicator.factor * count / estimate.value, 1)
    return value, "ok", (count, estimate.value, indicator.factor)


def _note_population(
    populations: dict[tuple[str, str], dict[str, Any]], estimate: Any, code: str, pe: str, ou: str
) -> None:
    """Which population the estimate behind a row is of; coverage of another population
    than opioid-dependent PWID (the indicator's denominator) is flagged ``warning``."""
    entry = populations.setdefault(
        (pe, ou),
        {"pe": pe, "ou": ou, "population": estimate.key_population, "method": estimate.method},
    )
    if code == "OST_COVERAGE" and estimate.key_population != COVERAGE_POPULATION:
        entry["warning"] = "coverage_population"


def _splits(indicator: Indicator, request: AnalyticsRequest) -> list[tuple[str, str]]:
    sexes = request.sex if request.sex and "sex" in indicator.disaggregations else (TOTAL,)
    if indicator.category is not None:
        xs: tuple[str, ...] = CATEGORY_OPTIONS[indicator.category]
    elif request.age and "age" in indicator.disaggregations:
        xs = request.age
    else:
        xs = (TOTAL,)
    return [(sex, x) for sex in sexes for x in xs]


def run_query(request: AnalyticsRequest, *, actor: User) -> AnalyticsResponse:
    """Answer ``request`` for ``actor`` (audited; the caller commits)."""
    ensure_analytics(actor)
    response, units = _answer(request)
    record_event(actor, "read", "analytics", None, detail=formats.audit_detail(request, units))
    return response


def answer_unaudited(request: AnalyticsRequest) -> AnalyticsResponse:
    """The answer to ``request`` with no caller, access check or audit row: for the
    server's own use only (:mod:`registry.plots_ahead` draws the ministry plots with it
    into the plot cache, which only an audited request of an analytics user reads)."""
    return _answer(request)[0]


def _answer(request: AnalyticsRequest) -> tuple[AnalyticsResponse, list]:
    """The answer and the org units it covers (named in the audit row)."""
    geography = Geography.load()
    units = resolve_units(request, geography)
    cells = _Cells(request, geography)
    has_co = any(INDICATORS[c].category for c in request.indicators)
    columns = ["dx", "pe", "ou"] + (["sex"] if request.sex else [])
    columns += (["age"] if request.age else []) + (["co"] if has_co else [])
    rows, bands, num_den = [], [], []
    populations: dict[tuple[str, str], dict[str, Any]] = {}
    for code in request.indicators:
        indicator = INDICATORS[code]
        for period in request.periods:
            for unit in units:
                for sex, x in _splits(indicator, request):
                    value, status, parts = _value(cells, indicator, period, unit, sex, x)
                    row: list[Any] = [code, period.iso, unit.code]
                    row += [sex] if request.sex else []
                    if request.age:
                        row.append(x if indicator.category is None else TOTAL)
                    if has_co:
                        row.append(x if indicator.category is not None else TOTAL)
                    if code == "OST_COVERAGE" and value is not None:
                        bands.append({"pe": period.iso, "ou": unit.code, "band": who_band(value)})
                    if indicator.kind in (ESTIMATE, RATIO) and value is not None:
                        _note_population(populations, cells.estimate(unit, period), code,
                                         period.iso, unit.code)  # fmt: skip
                    rows.append([*row, value, status])
                    num_den.append(parts)
    headers = [{"name": name, "column": name} for name in (*columns, "value", "status")]
    meta = formats.meta_data(request, units, current_app.config["SUPPRESSION_THRESHOLD"])
    meta.update(cells.source)
    if bands:
        meta["whoBands"] = bands
    if populations:
        meta["estimatePopulations"] = list(populations.values())
    return AnalyticsResponse(headers, rows, meta, num_den), units
