"""Single-list count estimators (Chao, Zelterman ...) on how often each person was seen.

Parameters: ``alpha``, ``key_population`` (default ``"pwud"``). Payload (typed:
:class:`CountEstimatorsResult`)::

    {"method": "count_estimators", "observed": 480, "registered": 0,
     "frequencies": {"1": 300, "2": 120, ...},        # times seen -> people
     "models": [{"name", "abundance", "stderr", "ci_low", "ci_high", "interval"}, ...],
     "estimate": {...the first model...}, "key_population": "pwud",
     "registered_users", "registered_on", "per_registered", "per_registered_ci",
     "per_registered_denominator",                    # .population.per_registered
     "warnings": [...]}                               # .plausibility
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from estimation import count_estimators as single_list
from registry import plots as drawing
from registry.models import Study, User
from registry.services import linkage
from registry.services.errors import ServiceError
from registry.services.methods import plausibility, population, sources
from registry.services.methods.base import (
    Checkpoint,
    Computed,
    Estimate,
    Method,
    ParametersSchema,
    alpha_field,
    num,
)
from registry.services.methods.payload import EstimateEntry, EstimatingPayload, row
from registry.services.methods.population import (
    DEFAULT_POPULATION,
    KEY_POPULATIONS,
    key_population_field,
    per_registered,
)


class Parameters(ParametersSchema):
    """A count-estimator study's parameters."""

    alpha = alpha_field()
    key_population = key_population_field(default=DEFAULT_POPULATION)


@dataclass(frozen=True)
class CountEstimatorsResult(EstimatingPayload):
    """A count-estimator study's result (see the module docstring)."""

    frequencies: dict[str, int] = field(default_factory=dict)
    models: tuple[EstimateEntry, ...] = ()


def count_estimators(
    frequencies: dict[int, int], parameters: dict[str, Any], *, registered: int
) -> dict[str, Any]:
    """Payload of single-list count estimators on ``{times seen: people}``."""
    results = single_list.count_estimators(frequencies, alpha=float(parameters["alpha"]))
    models = [
        {"name": r.name, "abundance": num(r.estimate), "stderr": num(r.se),
         "ci_low": num(r.ci_low), "ci_high": num(r.ci_high), "interval": r.interval}
        for r in results
    ]  # fmt: skip
    return {
        "method": "count_estimators",
        "observed": int(sum(frequencies.values())),
        "registered": registered,
        "frequencies": {str(k): int(v) for k, v in sorted(frequencies.items())},
        "models": models,
        "estimate": models[0],
        "key_population": parameters.get("key_population") or DEFAULT_POPULATION,
    }


def check(refs: list[str], p: dict[str, Any], *, actor: User, period: tuple[date, date]) -> list:
    """Exactly one list."""
    if len(refs) != 1:
        raise ServiceError(_l("Count estimators use exactly one list."), "lists")
    return refs


def run(study: Study, checkpoint: Checkpoint | None = None) -> Computed:
    """Count how often each person of the list was seen in the period and area."""
    ref = study.lists[0]
    counts = linkage.list_codes(ref, start=study.period_start, end=study.period_end,
                                area=study.area)  # fmt: skip
    frequencies: dict[int, int] = {}
    for times in counts.values():
        frequencies[times] = frequencies.get(times, 0) + 1
    payload = count_estimators(frequencies, study.parameters, registered=0)
    estimate = payload["estimate"]
    payload.update(per_registered(
        estimate["abundance"], estimate["ci_low"], estimate["ci_high"],
        registered=sources.registered(study.area, study.period_end), on=study.period_end,
    ))  # fmt: skip
    history_counts = {"lists": [ref], "frequencies": payload["frequencies"]}
    return Computed(payload, history_counts,
                    {"lists": [{"ref": ref, "digest": linkage.digest(set(counts))}]})  # fmt: skip


def rows(payload: CountEstimatorsResult) -> list[dict[str, Any]]:
    """CSV rows: the chosen estimate, then each estimator."""
    chosen = payload.estimate or EstimateEntry()
    return [{"row": "estimate", **row(chosen), **population.estimate_row(payload)},
            *({"row": "model", **row(m)} for m in payload.models)]  # fmt: skip


METHOD = Method(
    name="count_estimators",
    label=_l("Count estimators (one list: Chao, Zelterman)"),
    parameters=Parameters,
    check=check,
    run=run,
    rows=rows,
    payload=CountEstimatorsResult,
    estimate=Estimate.of_payload,
    choices={"key_population": KEY_POPULATIONS},
    warnings=plausibility.estimate_warnings,
    plots=lambda payload: ["models"] if payload.models else [],
    draw=lambda name, payload: drawing.model_comparison(
        [row(m) for m in payload.models], chosen=(payload.estimate or EstimateEntry()).name
    ),
    estimates_population=True,
    plot_titles={"models": _l("Model comparison: estimates with intervals, AIC and BIC")},
)
