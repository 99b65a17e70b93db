"""Synthesis studies: one considered estimate from several results of the same population.

Parameters (no lists; the inputs are succeeded results of population-estimating studies
of the same area, period and key population as the synthesis)::

    {"inputs": [{"job": 12, "weight": 1.0}, {"job": 15, "weight": 0.5}, ...],  # 2 to 8
     "tau_scale": 0.5,     # half-normal prior scale of the heterogeneity (log scale)
     "alpha": 0.05}        # one minus the credible level of the consensus

``weight`` is the confidence the epidemiologist gives a result: it divides the variance
of its logarithm (1: its interval as stated; 0.5: doubled). The model, the prior and its
sources are in docs/methods/synthesis.md (:func:`estimation.synthesis.synthesise`).

Payload::

    {"method": "synthesis",
     "estimate": {"abundance", "ci_low", "ci_high", "stderr": null, "interval": "credible"},
     "consensus": {"tau_scale", "tau_median", "tau_low", "tau_high", "q", "df",
                   "p_heterogeneity", "i_squared",
                   "tau_zero": {"abundance", "ci_low", "ci_high"}},  # if tau were 0
     "inputs": [{"job", "study", "title", "method", "period", "area", "abundance",
                 "ci_low", "ci_high", "alpha", "weight", "approved", "input_hash",
                 "influence", "without", "shift"}, ...],
     "disjoint": [[job, job], ...],        # inputs whose intervals do not overlap
     "heterogeneous": false,               # Cochran's Q p-value below 0.10
     "observed": null, "registered": null,
     "key_population": "pwud",             # the inputs' (all the same)
     "registered_users", "registered_on", "per_registered", ...,  # .population
     "warnings": [...]}  # .plausibility's, and synthesis_disjoint, synthesis_heterogeneity,
                         # synthesis_unapproved ({"jobs": [...]})
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from estimation.synthesis import DEFAULT_TAU_SCALE, SynthesisInput, synthesise
from registry.extensions import db
from registry.models import EstimationJob, OrgUnit, Study
from registry.models.users import User
from registry.schemas.base import REQUIRED, integer, number
from registry.services.errors import ServiceError
from registry.services.methods import sources
from registry.services.methods.base import (
    MAX_ID,
    Checkpoint,
    Computed,
    Estimate,
    Method,
    ParametersSchema,
    alpha_field,
    num,
    parameter_error,
)
from registry.services.methods.population import KEY_POPULATIONS, per_registered
from registry.services.methods.synthesis_result import SynthesisResult, draw, plots, rows, warnings

MAX_INPUTS = 8
#: Input rows the new-study form offers.
FORM_INPUTS = 4


class InputSchema(ParametersSchema):
    """One result to combine and the confidence given it."""

    job = integer(1, MAX_ID, required=True)
    weight = number(0.01, 100, default=1.0)


class Parameters(ParametersSchema):
    """A synthesis study's parameters (see the module docstring)."""

    inputs = fields.List(
        fields.Nested(InputSchema),
        required=True,
        validate=validate.Length(min=2, max=MAX_INPUTS, error=_l("Choose two to eight results.")),
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": REQUIRED},
    )
    tau_scale = number(0, 5, default=DEFAULT_TAU_SCALE)
    alpha = alpha_field()

    @validates_schema
    def _distinct(self, data: dict[str, Any], **_: Any) -> None:
        jobs = [entry["job"] for entry in data.get("inputs", ())]
        for i, job in enumerate(jobs):
            if job in jobs[:i]:
                message = _l("This result is chosen twice: it would count twice.")
                raise ValidationError({"inputs": {i: {"job": [message]}}})


def _refuse(i: int, message: Any) -> ValidationError:
    return parameter_error(f"inputs/{i}/job", message)


def check(
    refs: list[str],
    p: dict[str, Any],
    *,
    actor: User,
    period: tuple[date, date],
    area: OrgUnit,
) -> list:
    """Every input a readable, succeeded estimate with an interval, of the study's area and
    period, of one population, from different studies, none itself a synthesis."""
    if refs:
        raise ServiceError(_l("A synthesis combines results, not lists."), "lists")
    populations: dict[str | None, int] = {}
    studies: set[int] = set()
    for i, entry in enumerate(p["inputs"]):
        field = f"inputs/{i}/job"
        sources.check_source_job(entry["job"], actor=actor, field=field)  # audited read
        job = db.session.get(EstimationJob, entry["job"])
        study, estimate = job.study, sources.result_estimate(job.result)
        if study.method == "synthesis":
            raise _refuse(i, _l("A synthesis cannot combine another synthesis: its inputs "
                                "would count twice."))  # fmt: skip
        if study.id in studies:
            raise _refuse(i, _l("Another result of the same study is chosen: its data would "
                                "count twice."))  # fmt: skip
        studies.add(study.id)
        if study.area_id != area.id or (study.period_start, study.period_end) != period:
            raise _refuse(i, _l("This result is of %(period)s in %(area)s: choose results of "
                                "the synthesis's period and area.", period=study.period,
                                area=study.area.code))  # fmt: skip
        low, high = estimate.ci_low, estimate.ci_high
        if low is None or high is None or not 0 < low < high:
            raise _refuse(i, _l("This result has no interval: it cannot be weighed."))
        if not low <= estimate.abundance <= high:  # a percentile bootstrap interval can
            raise _refuse(i, _l("This result's interval does not contain its estimate: it "
                                "cannot be weighed."))  # fmt: skip
        if estimate.key_population is None:
            raise _refuse(i, _l("This result does not record which population it is of."))
        populations.setdefault(estimate.key_population, i)
        if len(populations) > 1:
            raise _refuse(i, _l("This result is of another population than the first: "
                                "combine estimates of one population."))  # fmt: skip
    return []


def _input(entry: dict[str, Any]) -> tuple[dict[str, Any], SynthesisInput]:
    """The payload row of one input (read again as it is now) and the library's input."""
    found = sources.source_estimate(int(entry["job"]))
    job = db.session.get(EstimationJob, found["job"])
    alpha = float((job.result.payload.get("parameters") or {}).get("alpha") or 0.05)
    row = {
        **{k: found[k] for k in ("job", "method", "period", "area", "input_hash")},
        "study": job.study.id, "title": job.study.title,
        "abundance": num(found["abundance"]), "ci_low": num(found["ci_low"]),
        "ci_high": num(found["ci_high"]), "alpha": alpha, "weight": float(entry["weight"]),
        "approved": bool(job.result.approved), "key_population": found["key_population"],
    }  # fmt: skip
    label = f"#{found['job']} {job.study.title}"
    given = SynthesisInput(label, found["abundance"], found["ci_low"], found["ci_high"],
                           weight=float(entry["weight"]), alpha=alpha)  # fmt: skip
    return row, given


def synthesis(rows: list[dict[str, Any]], given: list[SynthesisInput], p: dict[str, Any]) -> dict:
    """The payload's estimate, consensus, inputs and flags (no registered count yet)."""
    result = synthesise(given, tau_scale=float(p["tau_scale"]), alpha=float(p["alpha"]))
    for row, influence in zip(rows, result.influences, strict=True):
        row.update(influence=influence.weight, without=num(influence.without),
                   shift=num(influence.shift))  # fmt: skip
    return {
        "method": "synthesis",
        "estimate": {"abundance": num(result.estimate), "ci_low": num(result.ci_low),
                     "ci_high": num(result.ci_high), "stderr": None, "interval": "credible"},
        "consensus": {
            "tau_scale": result.tau_scale, "tau_median": num(result.tau_median),
            "tau_low": num(result.tau_low), "tau_high": num(result.tau_high),
            "q": num(result.q), "df": result.df, "p_heterogeneity": num(result.p_heterogeneity),
            "i_squared": num(result.i_squared),
            "tau_zero": dict(zip(("abundance", "ci_low", "ci_high"),
                                 map(num, result.common), strict=True)),
        },
        "inputs": rows,
        "disjoint": [[rows[a]["job"], rows[b]["job"]] for a, b in result.disjoint],
        "heterogeneous": "heterogeneity" in result.warnings,
        "observed": None,
        "registered": None,
    }  # fmt: skip


def run(study: Study, checkpoint: Checkpoint | None = None) -> Computed:
    """``(payload, history_counts, hash basis)`` of a synthesis on today's results."""
    rows, given = zip(*(_input(entry) for entry in study.parameters["inputs"]), strict=True)
    populations = {row["key_population"] for row in rows}
    if len(populations) != 1:
        raise ValueError("the inputs are no longer estimates of one population")
    payload = synthesis([dict(row) for row in rows], list(given), study.parameters)
    for row in payload["inputs"]:
        del row["key_population"]
    users = sources.registered(study.area, study.period_end)
    estimate = payload["estimate"]
    payload.update(key_population=populations.pop(), **per_registered(
        estimate["abundance"], estimate["ci_low"], estimate["ci_high"], registered=users,
        on=study.period_end))  # fmt: skip
    counts = {"inputs": [row["job"] for row in rows], "registered_users": users}
    basis = {"lists": [*({"ref": f"job:{row['job']}", "digest": row["input_hash"]} for row in rows),
                       {"ref": "registry:registrations", "digest": str(users)}]}  # fmt: skip
    return Computed(payload, counts, basis)


METHOD = Method(
    name="synthesis",
    label=_l("Synthesis of several estimates"),
    parameters=Parameters,
    check=check,
    checks_area=True,
    run=run,
    rows=rows,
    payload=SynthesisResult,
    estimate=Estimate.of_payload,
    plots=plots,
    draw=draw,
    plot_titles={"inputs": _l("Each input's estimate and the consensus, with intervals")},
    estimates_population=True,
    listless=True,
    warnings=warnings,
    choices={"key_population": KEY_POPULATIONS},
)
