"""Projection studies: a base value carried 1-5 years ahead under named growth scenarios.

The base year is the study's period year. The base value comes from a succeeded
estimation job (its estimate and interval) or is typed (e.g. registered users), not both.

Parameters::

    {"source_job": 12 or null, "base": 5600 or null, "base_low": null, "base_high": null,
     "horizon": 5,                                       # years ahead, 1 to 5
     "scenarios": {"trend": [5, 7], "best": [-3, -2], "worst": [4, 5]}}   # % a year

Payload (:func:`estimation.projection.project`; ranges carry no probability)::

    {"method": "projection", "base_year": 2003,
     "base": {"value", "low", "high", "source": {"job", "method", "period", "area"} or null},
     "scenarios": {"trend": [5.0, 7.0], ...},
     "projections": [{"scenario", "year", "value", "low", "high"}, ...]}
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate, validates_schema

from estimation.projection import DEFAULT_SCENARIOS, project
from registry.models import Study
from registry.models.users import User
from registry.services.errors import ServiceError
from registry.services.estimators import sources
from registry.services.estimators.common import MAX_ID, check_interval, load_parameters, num

DEFAULTS: dict[str, Any] = {
    "source_job": None,
    "horizon": 5,
    "scenarios": {name: list(bounds) for name, bounds in DEFAULT_SCENARIOS.items()},
}


def _count() -> fields.Float:
    return fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=1))


class ProjectionParameters(Schema):
    """A projection study's parameters (see the module docstring)."""

    source_job = fields.Integer(load_default=None, allow_none=True, strict=True,
                                validate=validate.Range(min=1, max=MAX_ID))  # fmt: skip
    base = _count()
    base_low = _count()
    base_high = _count()
    horizon = fields.Integer(load_default=5, strict=True, validate=validate.Range(min=1, max=5))
    scenarios = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=30)),
        values=fields.List(
            fields.Float(validate=validate.Range(min=-99, max=100)),
            validate=validate.Length(equal=2),
        ),  # fmt: skip
        validate=validate.Length(min=1, max=6),
        load_default=lambda: dict(DEFAULTS["scenarios"]),
    )

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        check_interval(
            data,
            "base",
            above=_l("Cannot exceed the base value."),
            below=_l("Cannot be below the base value."),
        )


def check(
    refs: list[str], parameters: dict[str, Any], *, actor: User, period: tuple[date, date]
) -> tuple[list, dict]:
    """Validated ``(lists, parameters)``: a projection links no lists."""
    if refs:
        raise ServiceError(_l("A projection uses no lists."), "lists")
    p = load_parameters(ProjectionParameters(), parameters)
    p["scenarios"] = {k: sorted(v) for k, v in p["scenarios"].items()}
    sources.check_estimate_input(p, actor=actor, typed="base")
    return [], p


def projection(
    base_year: int,
    value: float,
    parameters: dict[str, Any],
    *,
    low: float | None = None,
    high: float | None = None,
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Payload of a projection study (see the module docstring)."""
    p = {**DEFAULTS, **parameters}
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


def run(study: Study) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """``(payload, history_counts, hash basis)`` of a projection study."""
    p = study.parameters
    value, low, high, source, entry = sources.estimate_input(p, "base")
    payload = projection(study.period_end.year, value, p, low=low, high=high, source=source)
    return payload, {"lists": [], "base": payload["base"]}, {"lists": [entry]}


def rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """CSV rows: the base, then each scenario and year."""
    base = payload["base"]
    first = {"row": "base", "scenario": "", "year": payload["base_year"], "value": base["value"],
             "low": base["low"], "high": base["high"]}  # fmt: skip
    return [first, *({"row": "projection", **y} for y in payload["projections"])]
