"""Projection studies: a base value carried 1-5 years ahead under named growth scenarios.

The base year is the study's period year. The base value comes from a succeeded
estimation job (its estimate and interval) or is typed (e.g. registered users), not both.

Parameters::

    {"source_job": 12 or null, "base": 5600 or null, "base_low": null, "base_high": null,
     "horizon": 5,                                       # years ahead, 1 to 5
     "key_population": null,     # a typed base's population, if it is an estimate of one
     "scenarios": {"trend": [5, 7], "best": [-3, -2], "worst": [4, 5]}}   # % a year

Payload (:func:`estimation.projection.project`; ranges carry no probability; typed:
:class:`ProjectionResult`)::

    {"method": "projection", "base_year": 2003,
     "base": {"value", "low", "high", "key_population": "pwud" or null,  # a job's: its own
              "source": {"job", "method", "period", "area", "key_population"} or null},
     "scenarios": {"trend": [5.0, 7.0], ...},
     "projections": [{"scenario", "year", "value", "low", "high"}, ...]}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validates_schema

from estimation.projection import DEFAULT_SCENARIOS, parse_scenario, project
from registry.estimate_plots import projection_scenarios
from registry.models import Study
from registry.models.users import User
from registry.schemas.base import integer, number
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
from registry.services.methods.coverage import EstimateSource
from registry.services.methods.payload import Payload, row
from registry.services.methods.population import KEY_POPULATIONS, key_population_field

#: The default scenarios' names as pages and plots show them (typed names stay as typed).
SCENARIO_NAMES = {
    "trend": _l("trend extrapolation"),
    "best": _l("best case"),
    "worst": _l("worst case"),
}
SCENARIO_MESSAGE = _l("Write each scenario as NAME=LOW:HIGH, separated by semicolons.")
MAX_SCENARIOS = 6


@dataclass(frozen=True)
class ProjectionBase:
    """The base value, its range, and where it came from."""

    value: float | None = None
    low: float | None = None
    high: float | None = None
    key_population: str | None = None
    source: EstimateSource | None = None


@dataclass(frozen=True)
class ProjectedYear:
    """One scenario's projected value in one year."""

    scenario: str | None = None
    year: int | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class ProjectionResult(Payload):
    """A projection study's result (see the module docstring)."""

    base_year: int | None = None
    base: ProjectionBase | None = None
    scenarios: dict[str, tuple[float, ...]] = field(default_factory=dict)
    projections: tuple[ProjectedYear, ...] = ()

    @property
    def population(self) -> str | None:
        return self.base.key_population if self.base is not None else None


class Scenarios(fields.Field):
    """Named growth ranges in % a year: ``{"trend": [5, 7], ...}`` in JSON, or the form's
    text ``"trend=5:7; best=-3:-2"`` (what :meth:`_serialize` writes back into the form).
    Each range is sorted; at most :data:`MAX_SCENARIOS`, rates from -99 to 100."""

    default_error_messages = {"invalid": SCENARIO_MESSAGE}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            if isinstance(value, str):
                pairs = [parse_scenario(part) for part in value.split(";") if part.strip()]
            elif isinstance(value, dict):
                pairs = [(str(k), (float(v[0]), float(v[1]))) for k, v in value.items()
                         if isinstance(v, list | tuple) and len(v) == 2]  # fmt: skip
                if len(pairs) != len(value):
                    raise ValueError("a scenario is not a [low, high] pair")
            else:
                raise ValueError("not a mapping")
        except (ValueError, TypeError):
            raise self.make_error("invalid") from None
        ranges = {name.strip(): sorted(bounds) for name, bounds in pairs}
        if not 1 <= len(ranges) <= MAX_SCENARIOS or not all(
            0 < len(name) <= 30 and -99 <= low <= high <= 100
            for name, (low, high) in ranges.items()
        ):  # NaN fails every comparison
            raise self.make_error("invalid")
        return ranges

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return "; ".join(f"{name}={low:g}:{high:g}" for name, (low, high) in value.items())


def _count():
    return number(1, 10**9)


class Parameters(ParametersSchema):
    """A projection study's parameters (see the module docstring)."""

    source_job = integer(1, MAX_ID)
    base = _count()
    base_low = _count()
    base_high = _count()
    horizon = integer(1, 5, default=5)
    key_population = key_population_field()
    scenarios = Scenarios(
        load_default=lambda: {name: list(bounds) for name, bounds in DEFAULT_SCENARIOS.items()},
        metadata={  # the OpenAPI document's description of what _deserialize accepts
            "type": "object",
            "minProperties": 1,
            "maxProperties": MAX_SCENARIOS,
            "additionalProperties": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {"type": "number", "minimum": -99, "maximum": 100},
            },
            "description": "Named growth ranges in % a year: a name of 1-30 characters and "
            "[low, high]",
        },
    )

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        check_interval(
            data,
            "base",
            above=_l("Cannot exceed the base value."),
            below=_l("Cannot be below the base value."),
        )


def check(refs: list[str], p: dict[str, Any], *, actor: User, period: tuple[date, date]) -> list:
    """A projection links no lists; its base is a finished job or typed."""
    if refs:
        raise ServiceError(_l("A projection uses no lists."), "lists")
    sources.check_estimate_input(p, actor=actor, typed="base")
    return []


def projection(
    base_year: int,
    value: float,
    parameters: dict[str, Any],
    *,
    low: float | None = None,
    high: float | None = None,
    source: dict[str, Any] | None = None,
    key_population: str | None = None,
) -> dict[str, Any]:
    """Payload of a projection study (see the module docstring)."""
    p = parameters
    scenarios = {name: (float(b[0]), float(b[1])) for name, b in p["scenarios"].items()}
    result = project(base_year, value, years=int(p["horizon"]), scenarios=scenarios,
                     value_low=low, value_high=high)  # fmt: skip
    return {
        "method": "projection",
        "base_year": result.base_year,
        "base": {
            "value": num(result.value),
            "low": num(result.value_low),
            "high": num(result.value_high),
            "key_population": key_population,
            "source": source,
        },  # fmt: skip
        "scenarios": {k: list(v) for k, v in result.scenarios.items()},
        "projections": [
            {
                "scenario": y.scenario,
                "year": y.year,
                "value": num(y.value),
                "low": num(y.low),
                "high": num(y.high),
            }
            for y in result.years
        ],  # fmt: skip
    }


def run(study: Study, checkpoint: Checkpoint | None = None) -> Computed:
    """``(payload, history_counts, hash basis)`` of a projection study."""
    p = study.parameters
    value, low, high, source, entry = sources.estimate_input(p, "base")
    population = p.get("key_population") if source is None else source.get("key_population")
    payload = projection(study.period_end.year, value, p, low=low, high=high, source=source,
                         key_population=population)  # fmt: skip
    return Computed(payload, {"lists": [], "base": payload["base"]}, {"lists": [entry]})


def rows(payload: ProjectionResult) -> list[dict[str, Any]]:
    """CSV rows: the base, then each scenario and year."""
    base = payload.base or ProjectionBase()
    first = {"row": "base", "scenario": "", "year": payload.base_year, "value": base.value,
             "low": base.low, "high": base.high}  # fmt: skip
    return [first, *({"row": "projection", **row(y)} for y in payload.projections)]


METHOD = Method(
    name="projection",
    label=_l("Projection"),
    parameters=Parameters,
    choices={"key_population": KEY_POPULATIONS},
    check=check,
    run=run,
    rows=rows,
    payload=ProjectionResult,
    plots=lambda payload: ["projection"] if payload.projections else [],
    draw=lambda name, payload: projection_scenarios(
        payload.base_year,
        row(payload.base or ProjectionBase()),
        [row(y) for y in payload.projections],
        {name: str(label) for name, label in SCENARIO_NAMES.items()},
    ),
    plot_titles={"projection": _l("Projected numbers by scenario, with their ranges")},
    listless=True,
)
