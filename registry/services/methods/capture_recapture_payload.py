"""Capture-recapture payloads: the computation of :mod:`.capture_recapture` on linked lists.

The default analysis, ``"average"`` with the criterion ``"aic"``, searches every
hierarchical model and averages their estimates with AIC weights (Buckland, Burnham &
Augustin 1997; :func:`estimation.capture_recapture.model_average`). The criterion
``"auto"`` uses BIC weights and switches to AIC weights, whose interval is wider, when
the log-linear models show strain
(:func:`estimation.capture_recapture.diagnostics.auto_average`: the heterogeneity
check fires, the AIC average falls outside the BIC average's interval, or the BIC-best
model lets two or more pairs of lists depend on each other); ``payload["selection"]``
says which and why. Why AIC is the default (docs/validation.md): ``"auto"``'s interval is
narrower and covered 93-98% where the models hold, but on the sparse lists of small
regions its checks lack power and it covered 64-84%, where the AIC average covered
86-100%. The estimate has the unconditional standard error and Chao's
log-transformed interval; each model row carries its ``weight`` (0 for models left out:
failed fits). With strata, each stratum's average is computed and the averages are summed
(standard errors added in quadrature, Chao's interval on the total).

A ``"search"`` reports the best model by BIC: the AIC-best model's interval, conditional
on a choice AIC makes too often wrongly, covered only 81-88% where the models hold.

Every study of three or more lists carries ``heterogeneity``
(:func:`estimation.capture_recapture.diagnostics.heterogeneity_check`: the best
heterogeneity model against the models of the analysis), and an average of three lists
``saturated_weight``, the weight on models of at most one residual df; the warnings of
:func:`.capture_recapture.warnings` are made from them.

``registered`` is the linkage report's count of people on the registry's own lists;
estimated users per registered user divides by the narcological register instead
(:mod:`.population`, added by :func:`.capture_recapture.run`).

``checkpoint`` (the worker's, :func:`registry.jobs.runner.job_checkpoint`) is called
between the bootstrap's replicate batches; it raises to stop a cancelled job there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from estimation.capture_recapture import (
    CaptureHistories,
    bootstrap,
    closed_population_models,
    fit_loglinear,
    model_average,
    search_models,
    stepwise,
    stratified,
)
from estimation.capture_recapture.averaging import AveragedEstimate
from estimation.capture_recapture.diagnostics import (
    auto_average,
    heavy_saturated_weight,
    heterogeneity_check,
)
from estimation.capture_recapture.intervals import chao_log_interval
from estimation.capture_recapture.results import LoglinearResult, ModelTable
from registry.services.methods.base import num as _num
from registry.services.methods.capture_recapture_bayes import POSTERIORS, bayesian_payload


def _estimate(result: LoglinearResult, alpha: float, interval: str) -> dict[str, Any]:
    entry = result.to_dict(alpha, method=interval)
    entry["interval"] = interval
    return entry


def criterion_of(p: dict[str, Any]) -> str:
    """The criterion that ranks a search and selects in a bootstrap. ``"auto"`` is BIC for
    a search and AIC for a bootstrap (the selection the coverage study measured)."""
    if p["criterion"] != "auto":
        return p["criterion"]
    return "aic" if p["analysis"] == "bootstrap" else "bic"


def _search(histories: CaptureHistories, p: dict[str, Any]) -> ModelTable:
    return search_models(histories, criterion=criterion_of(p), max_order=p.get("max_order"),
                         heterogeneity=p.get("heterogeneity"))  # fmt: skip


def average(
    histories: CaptureHistories, table: ModelTable, criterion: str, alpha: float
) -> tuple[AveragedEstimate, dict[str, Any]]:
    """The model average of ``table`` by ``criterion``, with its ``selection``.

    ``"auto"``: the BIC average, or the AIC average when the models show strain
    (:func:`estimation.capture_recapture.diagnostics.auto_average`).
    """
    if criterion != "auto":
        return model_average(table, criterion=criterion), {"criterion": criterion}
    chosen, reason, by_aic, by_bic = auto_average(histories, table, alpha)
    low, high = by_bic.conf_int(alpha)
    return chosen, {"criterion": "auto", "used": chosen.criterion, "reason": reason,
                    "aic_average": _num(by_aic.abundance),
                    "bic_average": [_num(by_bic.abundance), _num(low), _num(high)]}  # fmt: skip


def _select(
    histories: CaptureHistories, p: dict[str, Any]
) -> tuple[LoglinearResult | AveragedEstimate, dict, tuple[LoglinearResult, ...]]:
    """The model the analysis chooses, the payload parts it adds, and the models the
    heterogeneity check weighs against."""
    analysis = p["analysis"]
    alpha, interval = p["alpha"], p["interval"]
    if analysis == "model":
        chosen = fit_loglinear(histories, p.get("model") or "Mt",
                               heterogeneity=p.get("heterogeneity"))  # fmt: skip
        return chosen, {}, (chosen,)
    if analysis == "family":
        table = closed_population_models(histories)
    elif analysis == "stepwise":
        chosen = stepwise(histories, threshold=p["threshold"])
        steps = [[pair, _num(value)] for pair, value in chosen.steps]
        return chosen.model, {"steps": steps}, (chosen.model,)
    else:  # search, average and bootstrap
        table = _search(histories, p)
    models = [r.to_dict(alpha, method=interval if r.usable else None) for r in table.results]
    if analysis == "average":
        averaged, selection = average(histories, table, p["criterion"], alpha)
        for row in models:
            row["weight"] = averaged.weights.get(row["name"], 0.0)
        extra = {"models": models, "selection": selection}
        if histories.n_lists == 3:
            extra["saturated_weight"] = heavy_saturated_weight(table, averaged)
        return averaged, extra, table.results
    if analysis == "family":  # checked against the models without a heterogeneity term
        plain = tuple(r for r in table.results if not r.name.startswith(("Mh", "Mth")))
        return _lowest_bic(table), {"models": models}, plain
    if analysis == "bootstrap":
        return table.best(), {"models": models}, table.results
    return _lowest_bic(table), {"models": models}, table.results


def _lowest_bic(table: ModelTable) -> LoglinearResult:
    """The usable model of ``table`` with the lowest BIC: a search's result, and the
    family table's (whose rows are in Rcapture's order, M0 first, not ranked)."""
    usable = [r for r in table.results if r.usable]
    if not usable:
        raise ValueError("no model could be fitted properly")
    return min(usable, key=lambda r: r.bic)


def _averaged(averaged: AveragedEstimate, alpha: float) -> dict[str, Any]:
    low, high = averaged.conf_int(alpha)
    return {
        "name": f"average ({averaged.criterion.upper()})",
        "abundance": _num(averaged.abundance),
        "stderr": _num(averaged.stderr),
        "ci_low": _num(low),
        "ci_high": _num(high),
        "interval": "chao_log",
        "criterion": averaged.criterion,
        "models": len(averaged.weights),
    }


def _stratified_average(
    histories: dict[str, CaptureHistories], p: dict[str, Any], alpha: float, registered: int
) -> dict[str, Any]:
    """The model average in each stratum, summed (variances add: strata are disjoint)."""
    tables = {name: _search(h, p) for name, h in histories.items()}
    averages = {
        name: average(h, tables[name], p["criterion"], alpha)[0] for name, h in histories.items()
    }
    total = sum(a.abundance for a in averages.values())
    stderr = math.sqrt(sum(a.stderr**2 for a in averages.values()))
    observed = sum(a.observed for a in averages.values())
    low, high = chao_log_interval(observed, total, stderr, alpha)
    lists = next(iter(histories.values())).lists if histories else ()
    return {
        "method": "capture_recapture",
        "analysis": "stratified",
        "lists": list(lists),
        "observed": observed,
        "registered": registered,
        "estimate": {
            "name": "stratified average ("
            + "+".join(sorted({a.criterion.upper() for a in averages.values()}))
            + ")",
            "abundance": _num(total),
            "stderr": _num(stderr),
            "ci_low": _num(low),
            "ci_high": _num(high),
            "interval": "chao_log",
        },  # fmt: skip
        "strata": {name: _averaged(a, alpha) for name, a in averages.items()},
        **_strata_checks(histories, {name: t.results for name, t in tables.items()}, alpha),
    }


def _strata_checks(
    histories: dict[str, CaptureHistories], against: dict[str, Any], alpha: float
) -> dict[str, Any]:
    """The heterogeneity check of each stratum (``strata_heterogeneity``) and, as the
    study's ``heterogeneity``, the one that fits best against its stratum's models."""
    checks = {name: heterogeneity_check(h, against[name]) for name, h in histories.items()}
    checks = {name: c for name, c in checks.items() if c is not None}
    if not checks:
        return {}
    worst = max(checks, key=lambda name: checks[name].aic_gain)
    return {
        "heterogeneity": {**checks[worst].to_dict(alpha), "stratum": worst},
        "strata_heterogeneity": {name: c.to_dict(alpha) for name, c in checks.items()},
    }


def capture_recapture(
    histories: CaptureHistories | dict[str, CaptureHistories],
    parameters: dict[str, Any],
    *,
    registered: int,
    checkpoint: Callable[..., None] | None = None,
) -> dict[str, Any]:
    """Payload of a capture-recapture study (see the module docstring)."""
    p = parameters  # loaded by capture_recapture.Parameters: every key present
    if p["analysis"] in POSTERIORS:  # dga, lcmcr: .capture_recapture_bayes
        return bayesian_payload(histories, p, registered=registered)
    alpha, interval = float(p["alpha"]), p["interval"]
    if isinstance(histories, dict) and p["analysis"] == "average":
        return _stratified_average(histories, p, alpha, registered)
    if isinstance(histories, dict):
        criterion = "bic" if p["analysis"] == "search" else None
        heterogeneity = None if criterion else p.get("heterogeneity")
        fitted = stratified(histories, model=p.get("model") or "Mt", criterion=criterion,
                            heterogeneity=heterogeneity)  # fmt: skip
        low, high = fitted.conf_int(alpha)
        lists = next(iter(histories.values())).lists if histories else ()
        return {
            "method": "capture_recapture",
            "analysis": "stratified",
            "lists": list(lists),
            "observed": fitted.observed,
            "registered": registered,
            "estimate": {
                "name": "stratified",
                "abundance": _num(fitted.abundance),
                "stderr": _num(fitted.stderr),
                "ci_low": _num(low),
                "ci_high": _num(high),
                "interval": "lognormal",
            },  # fmt: skip
            "strata": {name: _estimate(r, alpha, "lognormal") for name, r in fitted.strata.items()},
            **_strata_checks(histories, {k: (r,) for k, r in fitted.strata.items()}, alpha),
        }
    chosen, extra, against = _select(histories, p)
    check = heterogeneity_check(histories, against)
    if check is not None:
        extra["heterogeneity"] = check.to_dict(alpha)
    if isinstance(chosen, AveragedEstimate):
        estimate = _averaged(chosen, alpha)
    else:
        estimate = _estimate(chosen, alpha, interval)
    payload: dict[str, Any] = {
        "method": "capture_recapture",
        "analysis": p["analysis"],
        "lists": list(histories.lists),
        "observed": int(histories.observed),
        "registered": registered,
        "estimate": estimate,
        **extra,
    }
    if p["analysis"] == "bootstrap":
        progress = None if checkpoint is None else _between_batches(checkpoint)
        boot = bootstrap(histories, rng=np.random.default_rng(int(p["seed"])),
                         replicates=int(p["replicates"]), criterion=criterion_of(p),
                         model=p.get("model"), max_order=p.get("max_order"),
                         progress=progress)  # fmt: skip
        low, high = boot.conf_int(alpha)
        payload["bootstrap"] = {
            "seed": int(p["seed"]),
            "replicates": int(p["replicates"]),
            "values": [_num(v) for v in boot.replicates.tolist()],
            "selected": dict(sorted(boot.selected.items())),
            "ci_low": _num(low),
            "ci_high": _num(high),
            "method": "percentile",
        }
        payload["estimate"].update(ci_low=_num(low), ci_high=_num(high), interval="bootstrap")
    return payload


def _between_batches(checkpoint: Callable[..., None]) -> Callable[[int, int], None]:
    """The bootstrap's ``progress(done, total)``: ``checkpoint(done, total)`` (the job's).

    The worker's checkpoint records the replicates done as the job's progress.
    """

    def progress(done: int, total: int) -> None:
        checkpoint(done, total)

    return progress
