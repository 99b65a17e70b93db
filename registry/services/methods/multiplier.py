"""Multiplier (benchmark) studies: :math:`N = B / p`, several survey proportions pooled.

Parameters (``study.parameters``)::

    {"benchmark": 1505 or null,      # typed count B; null: B = people on the study's list
     "surveys": [{"in_benchmark": 100, "sample_size": 400, "design_effect": 1.0,
                  "label": "RDS 2003"}, ...],                     # one to five proportions
     "interval": "log",              # delta / log / wilson / montecarlo (estimation.multiplier)
     "random_effects": false,        # pooling: DerSimonian-Laird instead of fixed effects
     "seed": DEFAULT_SEED,           # Monte Carlo draws (survey i uses seed + i)
     "alpha": 0.05,
     "key_population": "pwud"}       # what the survey sampled: pwud / pwid / opioid_pwid

The benchmark is either one list of the study (``"registry:ost"``, an upload ...: its
people in the period and area) or typed, never both. Each survey proportion gives one
estimate; two or more are pooled on the log scale (:mod:`estimation.pooling`).

Payload (typed: :class:`.multiplier_result.MultiplierResult`, where ``population`` is
``population_count``)::

    {"method": "multiplier",
     "benchmark": {"ref": "registry:ost" or null, "count": 1505},
     "surveys": [{"label", "in_benchmark", "sample_size", "design_effect", "proportion",
                  "abundance", "ci_low", "ci_high", "se_log"}, ...],
     "estimate": {"abundance", "ci_low", "ci_high", "stderr": null, "pooled": false,
                  "interval": "log" (pooled: "log-scale pooling")},
     "pooling": {"q", "df", "p_heterogeneity", "i_squared", "tau_squared",
                 "random_effects", "weights"} or null,          # two or more surveys
     "observed": null, "registered": null,
     "key_population": "pwud",       # which population the estimate is of (parameter)
     "registered_users": 5600, "registered_on": "2003-12-31",
     "per_registered": 1.07, "per_registered_ci": [low, high] or null,
     "per_registered_denominator": "register_at_period_end",     # .population
     "population": 4867481 or null,  # Population rows of the area for the period's year
     "rate_per_100k": {"rate", "ci_low", "ci_high"} or null,
     "warnings": [{"code": "estimate_below_registered", ...}]}  # .plausibility
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from estimation.multiplier import multiplier_estimate, rate_per_100k
from estimation.pooling import combine_multipliers
from registry.estimate_plots import multiplier_surveys
from registry.models import Study
from registry.models.users import User
from registry.schemas.base import REQUIRED, code, flag, integer, number, text
from registry.services.errors import ServiceError
from registry.services.methods import plausibility, sources
from registry.services.methods.base import (
    DEFAULT_SEED,
    Checkpoint,
    Computed,
    Estimate,
    Method,
    ParametersSchema,
    alpha_field,
    num,
    parameter_error,
)
from registry.services.methods.multiplier_result import MultiplierResult, plotted, rows
from registry.services.methods.population import (
    DEFAULT_POPULATION,
    KEY_POPULATIONS,
    key_population_field,
    per_registered,
)

INTERVALS = {
    "log": _l("Log scale (delta method)"),
    "delta": _l("Delta method"),
    "wilson": _l("Wilson interval of the proportion"),
    "montecarlo": _l("Monte Carlo"),
}
MAX_SURVEYS = 5
#: Survey rows the new-study form offers.
FORM_SURVEYS = 3


class SurveySchema(ParametersSchema):
    """One survey proportion: ``in_benchmark`` of ``sample_size`` respondents."""

    label = text(60)
    in_benchmark = integer(1, 10**7, required=True)
    sample_size = integer(1, 10**7, required=True)
    design_effect = number(1, 20, default=1.0)

    @validates_schema
    def _within_sample(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("in_benchmark", 0) > data.get("sample_size", 0) > 0:
            raise ValidationError(_l("Cannot exceed the sample size."), field_name="in_benchmark")


class Parameters(ParametersSchema):
    """A multiplier study's parameters (see the module docstring)."""

    benchmark = integer(1, 10**8)
    surveys = fields.List(
        fields.Nested(SurveySchema),
        required=True,
        validate=validate.Length(
            min=1, max=MAX_SURVEYS, error=_l("Give one to five surveys.")
        ),  # fmt: skip
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": REQUIRED},
    )
    interval = code(INTERVALS, default="log")
    random_effects = flag(default=False)
    seed = integer(0, 2**31 - 1, default=DEFAULT_SEED)
    alpha = alpha_field()
    key_population = key_population_field(default=DEFAULT_POPULATION)

    @validates_schema
    def _interval_defined(self, data: dict[str, Any], **_: Any) -> None:
        full = any(s["in_benchmark"] == s["sample_size"] for s in data.get("surveys", ()))
        if full and data.get("interval") in ("delta", "log"):
            raise ValidationError(
                _l(
                    "Everyone in a survey is in the benchmark: use the Wilson or Monte Carlo "
                    "interval."
                ),  # fmt: skip
                field_name="interval",
            )


def check(refs: list[str], p: dict[str, Any], *, actor: User, period: tuple[date, date]) -> list:
    """One benchmark list, or a typed benchmark, not both."""
    if len(refs) > 1:
        raise ServiceError(_l("The multiplier uses one list as its benchmark."), "lists")
    if p["benchmark"] is None and not refs:
        raise parameter_error("benchmark", _l("Choose the benchmark list or type its count."))
    if p["benchmark"] is not None and refs:
        raise parameter_error("benchmark", _l("Type the benchmark or choose a list, not both."))
    return refs


def multiplier(
    benchmark: int,
    parameters: dict[str, Any],
    *,
    registered: int = 0,
    registered_on: date,
    population: int | None = None,
    ref: str | None = None,
) -> dict[str, Any]:
    """Payload of a multiplier study (see the module docstring)."""
    p = parameters
    alpha = float(p["alpha"])
    if benchmark <= 0:
        raise ValueError("the benchmark list is empty in this period and area")
    results = [
        multiplier_estimate(benchmark, s["sample_size"], s["in_benchmark"],
                            design_effect=float(s.get("design_effect") or 1.0),
                            method=p["interval"], alpha=alpha, seed=int(p["seed"]) + i)
        for i, s in enumerate(p["surveys"])
    ]  # fmt: skip
    surveys = [
        {"label": s.get("label") or "", "in_benchmark": s["in_benchmark"],
         "sample_size": s["sample_size"], "design_effect": float(s.get("design_effect") or 1.0),
         "proportion": num(r.proportion), "abundance": num(r.estimate),
         "ci_low": num(r.ci_low), "ci_high": num(r.ci_high), "se_log": num(r.se_log)}
        for s, r in zip(p["surveys"], results, strict=True)
    ]  # fmt: skip
    pooling = None
    if len(results) == 1:
        value, low, high = results[0].estimate_and_interval()
        estimate = {"pooled": False, "interval": p["interval"]}
    else:
        pooled = combine_multipliers(results, random_effects=bool(p["random_effects"]),
                                     alpha=alpha)  # fmt: skip
        value, low, high = pooled.estimate, pooled.ci_low, pooled.ci_high
        estimate = {"pooled": True, "interval": "log-scale pooling"}
        pooling = {
            "q": num(pooled.q), "df": pooled.df, "p_heterogeneity": num(pooled.p_heterogeneity),
            "i_squared": num(pooled.i_squared), "tau_squared": num(pooled.tau_squared),
            "random_effects": pooled.random_effects, "weights": list(pooled.weights),
        }  # fmt: skip
    estimate.update(abundance=num(value), ci_low=num(low), ci_high=num(high), stderr=None)
    rate = None
    if population:
        rate = {key: num(rate_per_100k(v, population))
                for key, v in (("rate", value), ("ci_low", low), ("ci_high", high))}  # fmt: skip
    return {
        "method": "multiplier",
        "benchmark": {"ref": ref, "count": int(benchmark)},
        "surveys": surveys,
        "estimate": estimate,
        "pooling": pooling,
        "observed": None,
        "registered": None,
        "key_population": p.get("key_population") or DEFAULT_POPULATION,
        **per_registered(
            num(value), num(low), num(high), registered=registered, on=registered_on
        ),  # fmt: skip
        "population": population,
        "rate_per_100k": rate,
    }


def run(study: Study, checkpoint: Checkpoint | None = None) -> Computed:
    """``(payload, history_counts, hash basis)`` of a multiplier study on today's data."""
    start, end, area = study.period_start, study.period_end, study.area
    ref = study.lists[0] if study.lists else None
    if ref is None:
        count, digest = int(study.parameters["benchmark"]), f"typed:{study.parameters['benchmark']}"
    else:
        count, digest = sources.list_count(ref, start=start, end=end, area=area)
    users = sources.registered(area, end)
    people = sources.population(area, end.year)
    payload = multiplier(count, study.parameters, registered=users, registered_on=end,
                         population=people, ref=ref)  # fmt: skip
    counts = {"lists": study.lists, "benchmark": count, "registered_users": users,
              "population": people}  # fmt: skip
    basis = {"lists": [{"ref": ref or "typed", "digest": digest},
                       {"ref": "registry:registrations", "digest": str(users)},
                       {"ref": "population", "digest": str(people)}]}  # fmt: skip
    return Computed(payload, counts, basis)


METHOD = Method(
    name="multiplier",
    label=_l("Multiplier (benchmark / survey proportion)"),
    parameters=Parameters,
    check=check,
    run=run,
    rows=rows,
    payload=MultiplierResult,
    estimate=Estimate.of_payload,
    plots=lambda payload: ["surveys"] if payload.surveys else [],
    draw=lambda name, payload: multiplier_surveys(**plotted(payload)),
    plot_titles={"surveys": _l("Each survey's estimate and the pooled estimate, with intervals")},
    estimates_population=True,
    listless=True,
    warnings=plausibility.estimate_warnings,
    choices={"interval": INTERVALS, "key_population": KEY_POPULATIONS},
)
