"""Capture-recapture on two or more linked lists (log-linear models, Rcapture's notation).

Parameters (:class:`Parameters`, all optional): ``analysis`` (default ``"average"``: the
average over the model search), ``criterion`` (default ``"aic"``: AIC weights;
``"auto"``: BIC weights, AIC weights when the models show strain, see
:mod:`.capture_recapture_payload`; ``"bic"``: BIC weights; also the ranking of the search,
whose estimate is always the BIC-best model, and the bootstrap's selection, AIC for
``"auto"``), ``max_order``, ``heterogeneity``, ``model``
(for ``"model"`` and a fixed-model bootstrap, e.g. ``"[12,3]"`` or ``"Mth"``), ``alpha``,
``interval`` ("lognormal"/"profile"), ``replicates`` and ``seed`` (bootstrap: the same
seed on the same table gives the same numbers), ``threshold`` (stepwise),
``key_population`` (which population the lists cover: ``"pwud"``, ``"pwid"`` or
``"opioid_pwid"``; default ``"pwud"``), ``delta`` (analysis ``"dga"``: the hyper-Dirichlet
prior, default ``2**-k``) and ``chains`` (analysis ``"lcmcr"``, with ``seed``). The Bayesian
analyses' payload is described in :mod:`.capture_recapture_bayes`.

Payload (:mod:`.capture_recapture_payload`; typed:
:class:`.capture_recapture_result.CaptureRecaptureResult`)::

    {"method": "capture_recapture", "analysis": "search", "lists": ["ost", "police", ...],
     "observed": 480, "registered": 300,   # of them on the registry's own lists
     "estimate": {"name": "[12,3]", "abundance", "stderr", "ci_low", "ci_high",
                  "interval": "lognormal", ...},
     "key_population": "pwud",       # which population the estimate is of (parameter)
     "registered_users": 6340, "registered_on": "2003-12-31",   # the narcological register
     "per_registered": 3.1, "per_registered_ci": [low, high],  # estimate / registered_users
     "per_registered_denominator": "register_at_period_end",   # .population
     "warnings": [{"code": "estimate_below_registered", ...}],  # .plausibility
     "models": [{"name", "abundance", "stderr", "ci_low", "ci_high", "deviance", "df",
                 "aic", "bic", "fit_ok", "status", "message", "info_fit", "warnings",
                 "weight"}, ...],      # search, average (weight) and family
     "selection": {"criterion": "aic"},  # average ("auto": "used", "reason", both averages)
     "heterogeneity": {"name": "Mth Chao (LB)", "abundance", "ci_low", "ci_high", "aic",
                       "best_aic", "aic_gain", "detected", ...},   # 3 or more lists
     "saturated_weight": 0.12,      # average of 3 lists: weight on models of df <= 1
     "bootstrap": {"seed", "replicates", "values": [...], "selected": {...},
                   "ci_low", "ci_high", "method": "percentile"},  # bootstrap only
     "steps": [["ost:police", 0.001], ...],                  # stepwise only
     "strata": {"F": {...estimate...}, "M": {...}},          # with strata only
     "linkage": {...the protected linkage report, without the lists' digests...}}

With ``"average"`` the estimate is ``{"name": "average (BIC)", "abundance", "stderr"
(unconditional), "ci_low", "ci_high", "interval": "chao_log", "criterion": "bic",
"models": <number averaged>}``.

Why this default, and what its interval covers: docs/validation.md, "Coverage of the
capture-recapture analyses" and "The default". On simulated lists where the hierarchical
models hold the AIC average's 95% interval covered the truth in 97-100% of data sets, a
little wide (``"auto"``, the BIC average unless a check fires, covered 93-98% with
intervals about two thirds as wide). On the sparse lists of a small region of the
simulated registry (a sixth of the users seen) the checks that ``"auto"`` relies on lack
power, and its interval covered the truth in only 64-84% of runs against the AIC
average's 86-100%: a too-narrow interval misleads where a wide one only says little, so
the default is the AIC average. When people differ in catchability no log-linear
analysis covers reliably: every study shows the heterogeneity check, and warns when its
model fits better or its estimate lies outside the result's interval (:func:`warnings`).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from estimation.capture_recapture.design import parse_model
from registry.models import Study
from registry.schemas.base import (
    INVALID_TEXT,
    StringField,
    _messages,
    code,
    integer,
    max_length,
    number,
)
from registry.services import linkage
from registry.services.linkage_disclosure import protect_report
from registry.services.methods import plausibility, sources
from registry.services.methods.base import (
    DEFAULT_SEED,
    Checkpoint,
    Computed,
    Estimate,
    Method,
    ParametersSchema,
    alpha_field,
)
from registry.services.methods.capture_recapture_checks import (
    NAMED_MODELS,
    check,
    check_lists,
    nested_entries,
)
from registry.services.methods.capture_recapture_parameters import parameters_used
from registry.services.methods.capture_recapture_payload import capture_recapture
from registry.services.methods.capture_recapture_result import (
    CaptureRecaptureResult,
    draw,
    plots,
    rows,
)
from registry.services.methods.population import (
    DEFAULT_POPULATION,
    KEY_POPULATIONS,
    key_population_field,
    per_registered,
)

ANALYSES = {
    "average": _l("Model average: all hierarchical models weighted by the criterion (recommended)"),
    "search": _l("Model search: every hierarchical model ranked; the result is the best by BIC"),
    "family": _l("The Rcapture family table (M0, Mt, Mh, Mth, Mb, Mbh)"),
    "model": _l("One chosen model"),
    "stepwise": _l("Stepwise selection (SparseMSE)"),
    "bootstrap": _l("Bootstrap interval (model selection repeated in each replicate)"),
    "dga": _l("Bayesian model averaging over decomposable graphical models (dga, 3-6 lists)"),
    "lcmcr": _l("Bayesian latent-class model (LCMCR)"),
}
CRITERIA = {
    "aic": _l("AIC (recommended)"),
    "auto": _l("BIC, or AIC when the models show strain (narrower; too narrow on sparse lists)"),
    "bic": _l("BIC"),
}
#: A heavy weight on near-saturated models (3 lists): more than this share of the average.
SATURATED_SHARE = 0.5
INTERVALS = {"lognormal": _l("Log-normal"), "profile": _l("Profile likelihood")}
HETEROGENEITY = {"Chao": "Chao", "Poisson": "Poisson", "Darroch": "Darroch", "Gamma": "Gamma"}
#: The most bootstrap replicates a study may ask for (the form offers the same bound).
MAX_REPLICATES = 10_000
MODEL_MESSAGE = _l("Write a model as Mt, Mth, Mh or in the [12,3] notation.")


def _model_syntax(value: str) -> None:
    if value in NAMED_MODELS:
        return
    try:
        parse_model(value, 9)
    except ValueError:
        raise ValidationError([MODEL_MESSAGE]) from None


class Parameters(ParametersSchema):
    """A capture-recapture study's parameters (see the module docstring)."""

    analysis = code(ANALYSES, default="average")
    criterion = code(CRITERIA, default="aic")
    interval = code(INTERVALS, default="lognormal")
    alpha = alpha_field()
    model = StringField(load_default=None, validate=[max_length(40), _model_syntax],
                        error_messages=_messages(invalid=INVALID_TEXT))  # fmt: skip
    heterogeneity = code(HETEROGENEITY)
    max_order = integer(1, 6)
    threshold = number(0.0001, 0.5, default=0.02)
    replicates = integer(10, MAX_REPLICATES, default=1000)
    seed = integer(0, 2**31 - 1, default=DEFAULT_SEED)
    key_population = key_population_field(default=DEFAULT_POPULATION)
    delta = number(0.0001, 10.0)  # dga: hyper-Dirichlet prior count per cell (None: 2^-k)
    chains = integer(1, 8)  # lcmcr: chains run (None: the method's default)


def run(study: Study, checkpoint: Checkpoint | None = None) -> Computed:
    """Link the lists and fit; only the protected linkage counts are kept."""
    histories, report = linkage.build_histories(
        study.lists, period=study.period, area_code=study.area.code, strata=study.strata
    )
    payload = capture_recapture(
        histories, study.parameters, registered=report["registered"], checkpoint=checkpoint
    )
    estimate = payload["estimate"]
    payload["key_population"] = study.parameters.get("key_population") or DEFAULT_POPULATION
    payload["nested_lists"] = nested_entries(histories)
    payload.update(per_registered(
        estimate["abundance"], estimate.get("ci_low"), estimate.get("ci_high"),
        registered=sources.registered(study.area, study.period_end), on=study.period_end,
    ))  # fmt: skip
    basis = {"lists": [{"ref": e["ref"], "digest": e["digest"]} for e in report["lists"]]}
    report = protect_report(report, threshold=current_app.config["SUPPRESSION_THRESHOLD"])
    history_counts = {
        "lists": [entry["name"] for entry in report["lists"]],
        "histories": report["histories"],
        "strata": {k: v["histories"] for k, v in report.get("strata", {}).items()},
    }
    payload["linkage"] = {k: v for k, v in report.items() if k != "lists"}
    payload["linkage"]["lists"] = [
        {k: v for k, v in entry.items() if k != "digest"} for entry in report["lists"]
    ]
    return Computed(payload, history_counts, basis)


def warnings(payload: CaptureRecaptureResult) -> list[dict[str, Any]]:
    """The nested lists first, the estimate's plausibility warnings, then the
    capture-recapture ones:

    - ``nested_lists`` ``{"list_a", "list_b", "share", "exact", "mutual"}``: list A is
      (nearly) contained in list B (:mod:`.capture_recapture_checks`): the estimate
      extrapolates from a structural zero;
    - ``heterogeneity`` ``{"model", "abundance", "aic_gain", "estimate"}``: a model in
      which people differ in catchability fits better than the analysis's models
      (:func:`estimation.capture_recapture.diagnostics.heterogeneity_check`);
    - ``heterogeneity_disagrees`` ``{"model", "abundance", "low", "high"}``: it does not
      fit better, but its estimate lies outside the result's interval (unstratified);
    - ``criteria_disagree`` ``{"aic_average", "bic_low", "bic_high"}``: the AIC average
      lies outside the BIC average's interval, so the default shows the AIC average;
    - ``saturated_weight`` ``{"weight"}``: with three lists, most of the average's weight
      is on models with one residual degree of freedom or none;

    then a Bayesian posterior's own (``grid_edge``, poor mixing).
    """
    out: list[dict[str, Any]] = [
        {"code": "nested_lists", "list_a": pair.list, "list_b": pair.within,
         "share": pair.share, "exact": pair.exact, "mutual": pair.mutual}
        for pair in payload.nested_lists
    ]  # fmt: skip
    out += plausibility.estimate_warnings(payload)
    out += _heterogeneity_warnings(payload)
    selection = payload.selection or {}
    low, high = (selection.get("bic_average") or [None, None, None])[1:]
    if selection.get("reason") == "criteria_disagree" and None not in (low, high):
        out.append({"code": "criteria_disagree", "aic_average": selection["aic_average"],
                    "bic_low": low, "bic_high": high})  # fmt: skip
    if (payload.saturated_weight or 0) > SATURATED_SHARE:
        out.append({"code": "saturated_weight", "weight": payload.saturated_weight})
    return [*out, *(payload.posterior or {}).get("warnings", [])]


def _heterogeneity_warnings(payload: CaptureRecaptureResult) -> list[dict[str, Any]]:
    """``heterogeneity`` when the check's model fits better; else ``heterogeneity_disagrees``
    when its estimate lies outside the result's interval. On the coverage study's data
    that second test fired in at most 2% of the data sets where the analysis's models
    hold (0.2% against the default AIC average), and caught the heterogeneity with list
    dependence that the fit test misses (docs/validation.md, "How often the warnings
    fire")."""
    check, estimate = payload.heterogeneity or {}, payload.estimate
    abundance = check.get("abundance")
    if abundance is None:
        return []
    if check.get("detected"):
        return [{"code": "heterogeneity", "model": check["name"], "abundance": abundance,
                 "aic_gain": check["aic_gain"],
                 "estimate": estimate.abundance if estimate is not None else None}]  # fmt: skip
    if check.get("stratum") or estimate is None:  # a stratum's check, or no interval
        return []
    low, high = estimate.ci_low, estimate.ci_high
    if low is None or high is None or low <= abundance <= high:
        return []
    return [{"code": "heterogeneity_disagrees", "model": check["name"],
             "abundance": abundance, "low": low, "high": high}]  # fmt: skip


METHOD = Method(
    name="capture_recapture",
    label=_l("Capture-recapture (two or more linked lists)"),
    parameters=Parameters,
    choices={
        "analysis": ANALYSES,
        "criterion": CRITERIA,
        "interval": INTERVALS,
        "heterogeneity": HETEROGENEITY,
        "key_population": KEY_POPULATIONS,
    },
    check=check,
    check_lists=check_lists,
    run=run,
    rows=rows,
    payload=CaptureRecaptureResult,
    estimate=Estimate.of_payload,
    plots=plots,
    draw=draw,
    estimates_population=True,
    takes_strata=True,
    warnings=warnings,
    parameters_used=parameters_used,
    plot_titles={
        "models": _l("Model comparison: estimates with intervals, AIC and BIC"),
        "bootstrap": _l("Bootstrap distribution of the estimate"),
    },
)
