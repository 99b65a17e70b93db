"""The dashboard's three panels, read from the analytics service (never counted here).

Public interface::

    dashboard_panels(year, *, actor) -> Panels    # three audited analytics queries
    one_panel(year, name, *, actor) -> Panel      # one of them ("regions", "hiv", "coverage")
    unaudited_panel(year, name) -> Panel          # the same with no caller (plots drawn ahead)
    available_years() -> list[int]                # years with treatment admissions
    estimate_years() -> list[int]                 # years with an approved estimate
    PANEL_QUERIES                                 # the DHIS2 parameters of each panel

Every number comes from :func:`registry.analytics.run_query`, so the dashboard shows
exactly what the API gives for the same parameters (the page links to those CSVs), with
the same suppression: a withheld count stays withheld, a rate on a withheld count too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale
from sqlalchemy import Select, func, select

from registry.analytics import parse_request, run_query
from registry.analytics.estimates import ESTIMATE_METHODS
from registry.analytics.query import AnalyticsResponse, answer_unaudited
from registry.extensions import db
from registry.models import (
    EstimationJob,
    EstimationResult,
    OrgUnit,
    Study,
    TreatmentEpisode,
    User,
)

#: Years of the HIV trend shown up to the chosen year.
TREND_YEARS = 5

REGIONS = ("REG_CLIENTS", "EST_USERS", "EST_USERS_LOW", "EST_USERS_HIGH", "EST_PER_REG")
HIV = ("HIV_PWID_TESTED", "HIV_PWID_POSITIVE", "HIV_PWID_PREVALENCE")
COVERAGE = ("OST_CLIENTS", "EST_USERS", "OST_COVERAGE")


def panel_queries(year: int) -> dict[str, dict[str, str]]:
    """The analytics parameters of each panel for ``year``."""
    years = ";".join(str(y) for y in range(year - TREND_YEARS + 1, year + 1))
    return {
        "regions": {"dx": ";".join(REGIONS), "pe": str(year), "ou": "LEVEL-1;LEVEL-2"},
        "hiv": {"dx": ";".join(HIV), "pe": years, "ou": "LEVEL-1"},
        "coverage": {"dx": ";".join(COVERAGE), "pe": str(year), "ou": "LEVEL-1;LEVEL-2"},
    }


@dataclass(frozen=True)
class Cell:
    """One value with its status (``ok``, ``suppressed``, ``no_estimate`` ...)."""

    value: Any
    status: str

    @property
    def shown(self) -> bool:
        return self.status == "ok" and self.value is not None


@dataclass
class Panel:
    """One panel: its rows (org unit or year), the indicators, the values by row."""

    rows: list[tuple[str, str]] = field(default_factory=list)  # (key, label)
    values: dict[tuple[str, str], Cell] = field(default_factory=dict)  # (row key, dx)
    bands: dict[str, str] = field(default_factory=dict)  # row key -> WHO band
    #: row key -> which population its approved estimate is of (None: not recorded)
    populations: dict[str, str | None] = field(default_factory=dict)
    #: row key -> the study method of its approved estimate (``mim``: a regional estimate)
    methods: dict[str, str] = field(default_factory=dict)
    #: row key -> warning code (``coverage_population``: not of opioid-dependent PWID)
    warnings: dict[str, str] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)  # org unit code -> level
    params: dict[str, str] = field(default_factory=dict)
    #: when the analytics tables it was read from were generated (None: counted now)
    as_of: str | None = None

    def cell(self, row: str, code: str) -> Cell:
        return self.values.get((row, code), Cell(None, "no_data"))

    def rows_at(self, level: int) -> list[tuple[str, str]]:
        """The rows of org units at ``level`` (2: regions)."""
        return [(key, label) for key, label in self.rows if self.levels.get(key) == level]


@dataclass
class Panels:
    """The three panels of one year."""

    year: int
    regions: Panel
    hiv: Panel
    coverage: Panel

    @property
    def as_of(self) -> str | None:
        """The oldest generation time of the analytics tables the panels read."""
        times = [p.as_of for p in (self.regions, self.hiv, self.coverage) if p.as_of]
        return min(times) if times else None


def unit_names() -> dict[str, str]:
    """Org unit names by code in the interface's language (Russian names in Russian)."""
    russian = str(get_locale() or "ru") == "ru"
    rows = db.session.execute(select(OrgUnit.code, OrgUnit.name, OrgUnit.name_ru))
    return {code: (name_ru if russian and name_ru else name) for code, name, name_ru in rows}


def _panel(params: dict[str, str], response: AnalyticsResponse, by: str) -> Panel:
    """Index the rows of one query's answer by org unit (``by="ou"``) or period (``"pe"``)."""
    names = [header["name"] for header in response.headers]
    items = response.meta_data.get("items", {})
    labels = unit_names() if by == "ou" else {}
    panel = Panel(params=params, as_of=response.meta_data.get("lastAnalyticsTableGeneration"))
    seen: dict[str, str] = {}
    for raw in response.rows:
        row = dict(zip(names, raw, strict=True))
        key = row[by]
        seen.setdefault(key, labels.get(key, key))
        if by == "ou":
            panel.levels[key] = int(items.get(key, {}).get("level", 0))
        panel.values[(key, row["dx"])] = Cell(row["value"], row["status"])
    panel.rows = list(seen.items())
    for band in response.meta_data.get("whoBands", []):
        panel.bands[band[by]] = band["band"]
    for entry in response.meta_data.get("estimatePopulations", []):
        panel.populations[entry[by]] = entry["population"]
        if entry.get("method"):
            panel.methods[entry[by]] = entry["method"]
        if entry.get("warning"):
            panel.warnings[entry[by]] = entry["warning"]
    return panel


#: What each panel's rows are: org units or periods.
ROWS_BY = {"regions": "ou", "hiv": "pe", "coverage": "ou"}


def one_panel(year: int, name: str, *, actor: User) -> Panel:
    """The panel ``name`` of ``year`` for ``actor`` (an audited read; the caller commits)."""
    params = panel_queries(year)[name]
    return _panel(params, run_query(parse_request(params), actor=actor), ROWS_BY[name])


def unaudited_panel(year: int, name: str) -> Panel:
    """The same panel read with no caller, for the server's own use only: the worker
    draws the plots ahead with it (:mod:`registry.plots_ahead`); never show it."""
    params = panel_queries(year)[name]
    return _panel(params, answer_unaudited(parse_request(params)), ROWS_BY[name])


def dashboard_panels(year: int, *, actor: User) -> Panels:
    """The panels of ``year`` for ``actor`` (three audited reads; the caller commits)."""
    panels = {name: one_panel(year, name, actor=actor) for name in ROWS_BY}
    return Panels(year=year, **panels)


def estimate_years() -> list[int]:
    """The calendar years with an approved estimate of any area (newest first)."""
    periods = db.session.scalars(
        select(Study.period)
        .join(EstimationJob, EstimationJob.study_id == Study.id)
        .join(EstimationResult, EstimationResult.job_id == EstimationJob.id)
        .where(EstimationResult.approved, Study.method.in_(ESTIMATE_METHODS))
        .distinct()
    )
    return sorted({int(p) for p in periods if p.isdigit()}, reverse=True)


def admission_span() -> Select:
    """The first and last admission date of the registry, each a subquery of its own: an
    index gives a lone ``min`` or ``max`` in one step, but SQLite reads the whole table for
    both in one ``SELECT`` (a ministry page and each of its plots ask)."""
    return select(
        select(func.min(TreatmentEpisode.admission_date)).scalar_subquery(),
        select(func.max(TreatmentEpisode.admission_date)).scalar_subquery(),
    )


def available_years() -> list[int]:
    """The years from the first to the last treatment admission (newest first)."""
    first, last = db.session.execute(admission_span()).one()
    if first is None:
        return []
    return list(range(last.year, first.year - 1, -1))
