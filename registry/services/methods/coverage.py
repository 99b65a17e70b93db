"""OST coverage studies: clients on OST at a census date per estimated opioid-dependent PWID.

Parameters (the estimate comes from a succeeded job or is typed, not both)::

    {"census_date": "2003-12-31" or null,   # null: the last day of the period
     "source_job": 12 or null,              # a capture-recapture / multiplier / count job
     "estimate": 25000 or null, "estimate_low": 20000 or null, "estimate_high": 30000 or null,
     "key_population": null}    # a typed estimate's population (default: opioid_pwid);
                                # a job's estimate brings its own

The indicator is UNAIDS's "Coverage of opioid substitution therapy": people on OST at a
date / opioid-dependent people who inject drugs, target 40%; the bands are the
WHO/UNODC/UNAIDS technical guide's (2012 revision; docs/methods/coverage.md). Coverage of
an estimate of another population (all people who use drugs, all PWID, or one that did
not record its population) carries the warning ``coverage_population``.

Payload (proportions, not percentages; :func:`estimation.coverage.ost_coverage`; typed:
:class:`CoverageResult`)::

    {"method": "coverage", "census_date": "2003-12-31", "on_ost": 1505,
     "estimate": null,                     # not a population estimate itself
     "population_estimate": {"abundance", "ci_low", "ci_high",
                             "key_population": "opioid_pwid" / "pwid" / "pwud" / null,
                             "source": {"job", "method", "period", "area",
                                        "key_population"} or null},
     "coverage": {"coverage", "ci_low", "ci_high", "band", "band_low", "band_high",
                  "capped"},
     "target": 0.4,
     "warnings": [{"code": "coverage_population", "population", "expected"}]}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import validates_schema

from estimation.coverage import ost_coverage
from registry.estimate_plots import coverage_bands
from registry.models import Study
from registry.models.users import User
from registry.schemas.base import day, integer, number
from registry.services.errors import ServiceError
from registry.services.methods import sources
from registry.services.methods.base import (
    MAX_ID,
    Checkpoint,
    Computed,
    Method,
    ParametersSchema,
    check_interval,
    num,
)
from registry.services.methods.payload import Payload, row
from registry.services.methods.population import (
    COVERAGE_POPULATION,
    KEY_POPULATIONS,
    key_population_field,
)

#: Target coverage: 40% (UNAIDS indicator registry, "Coverage of opioid substitution
#: therapy"; the WHO/UNODC/UNAIDS technical guide's "high" band starts there).
TARGET = 0.40


@dataclass(frozen=True)
class EstimateSource:
    """The job an estimate came from (None: typed)."""

    job: int | None = None
    method: str | None = None
    period: str | None = None
    area: str | None = None
    key_population: str | None = None


@dataclass(frozen=True)
class PopulationEstimate:
    """The estimate coverage divides by."""

    abundance: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    key_population: str | None = None
    source: EstimateSource | None = None


@dataclass(frozen=True)
class Coverage:
    """Coverage with its interval and WHO band (and the bands of its bounds)."""

    coverage: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    band: str | None = None
    band_low: str | None = None
    band_high: str | None = None
    capped: bool = False


@dataclass(frozen=True)
class CoverageResult(Payload):
    """An OST coverage study's result (see the module docstring)."""

    census_date: str | None = None
    on_ost: int | None = None
    population_estimate: PopulationEstimate | None = None
    coverage: Coverage | None = None
    target: float | None = None

    @property
    def population(self) -> str | None:
        estimate = self.population_estimate
        return estimate.key_population if estimate is not None else None


def _count():
    return number(1, 10**9)


class Parameters(ParametersSchema):
    """A coverage study's parameters (see the module docstring)."""

    census_date = day()
    source_job = integer(1, MAX_ID)
    estimate = _count()
    estimate_low = _count()
    estimate_high = _count()
    key_population = key_population_field()

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        check_interval(
            data,
            "estimate",
            above=_l("Cannot exceed the estimate."),
            below=_l("Cannot be below the estimate."),
        )


def check(refs: list[str], p: dict[str, Any], *, actor: User, period: tuple[date, date]) -> list:
    """The census comes from the registry's OST records; a job or a typed estimate."""
    if refs not in ([], ["registry:ost"]):
        raise ServiceError(_l("Coverage counts the registry's OST clients only."), "lists")
    sources.check_estimate_input(p, actor=actor, typed="estimate")
    return ["registry:ost"]


def coverage(
    on_ost: int,
    estimate: float,
    ci_low: float | None = None,
    ci_high: float | None = None,
    *,
    census_date: str,
    source: dict[str, Any] | None = None,
    key_population: str | None = COVERAGE_POPULATION,
) -> dict[str, Any]:
    """Payload of a coverage study (see the module docstring)."""
    result = ost_coverage(on_ost, estimate, ci_low, ci_high)
    return {
        "method": "coverage",
        "census_date": census_date,
        "on_ost": int(on_ost),
        "estimate": None,
        "population_estimate": {
            "abundance": num(result.estimate),
            "ci_low": num(result.estimate_low),
            "ci_high": num(result.estimate_high),
            "key_population": key_population,
            "source": source,
        },
        "coverage": {
            "coverage": num(result.coverage),
            "ci_low": num(result.ci_low),
            "ci_high": num(result.ci_high),
            "band": result.band,
            "band_low": result.band_low,
            "band_high": result.band_high,
            "capped": result.capped,
        },  # fmt: skip
        "target": TARGET,
    }


def run(study: Study, checkpoint: Checkpoint | None = None) -> Computed:
    """``(payload, history_counts, hash basis)`` of a coverage study on today's data."""
    p = study.parameters
    day = date.fromisoformat(p["census_date"]) if p.get("census_date") else study.period_end
    count, digest = sources.on_ost(study.area, day)
    value, low, high, source, entry = sources.estimate_input(p, "estimate")
    if source is None:
        population = p.get("key_population") or COVERAGE_POPULATION
    else:
        population = source.get("key_population")
    payload = coverage(count, value, low, high, census_date=day.isoformat(), source=source,
                       key_population=population)  # fmt: skip
    counts = {"lists": study.lists, "on_ost": count, "census_date": day.isoformat()}
    return Computed(payload, counts, {"lists": [{"ref": "registry:ost", "digest": digest}, entry]})


def coverage_warnings(payload: CoverageResult) -> list[dict[str, Any]]:
    """Coverage divided by an estimate of another population than the indicator's."""
    population = payload.population
    if population == COVERAGE_POPULATION:
        return []
    return [{"code": "coverage_population", "population": population,
             "expected": COVERAGE_POPULATION}]  # fmt: skip


def rows(payload: CoverageResult) -> list[dict[str, Any]]:
    """CSV rows: the coverage, then the population estimate it divides by."""
    estimate = payload.population_estimate or PopulationEstimate()
    source = estimate.source or EstimateSource()
    return [
        {"row": "coverage", "on_ost": payload.on_ost, "census_date": payload.census_date,
         **row(payload.coverage or Coverage())},
        {"row": "population_estimate", "abundance": estimate.abundance,
         "ci_low": estimate.ci_low, "ci_high": estimate.ci_high,
         "key_population": estimate.key_population, "source_job": source.job},
    ]  # fmt: skip


METHOD = Method(
    name="coverage",
    label=_l("OST coverage"),
    parameters=Parameters,
    choices={"key_population": KEY_POPULATIONS},
    check=check,
    run=run,
    rows=rows,
    payload=CoverageResult,
    plots=lambda payload: ["coverage"] if payload.coverage else [],
    draw=lambda name, payload: coverage_bands(row(payload.coverage), target=payload.target),
    plot_titles={"coverage": _l("Coverage with its interval against the WHO bands and target")},
    listless=True,
    warnings=coverage_warnings,
)
