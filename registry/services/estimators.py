"""Run a study's method on its linked data and return the result payload (plain JSON).

Public interface::

    METHODS = ("capture_recapture", "count_estimators", "hiv_trend")
    ANALYSES = ("search", "model", "family", "stepwise", "bootstrap")
    DEFAULT_PARAMETERS: dict[str, dict]           # per method
    capture_recapture(histories, parameters: dict, *, registered: int) -> dict
    count_estimators(frequencies: dict[int, int], parameters: dict, *, registered: int) -> dict
    hiv_trend(rows: list[dict], parameters: dict) -> dict     # "years" (default 6) up to the period

Parameters of ``capture_recapture`` (all optional): ``analysis`` (default ``"search"``),
``criterion`` ("bic"/"aic"), ``max_order``, ``heterogeneity``, ``model`` (for
``"model"`` and a fixed-model bootstrap, e.g. ``"[12,3]"`` or ``"Mth"``), ``alpha``
(0.05), ``interval`` ("lognormal"/"profile"), ``replicates`` (bootstrap, 1000), ``seed``
(bootstrap, 20030101: the same seed on the same table gives the same numbers),
``threshold`` (stepwise, 0.02).

The payload (``EstimationResult.payload``)::

    {"method": "capture_recapture", "analysis": "search", "lists": ["ost", "police", ...],
     "observed": 480, "registered": 300,
     "estimate": {"name": "[12,3]", "abundance": ..., "stderr": ..., "ci_low": ...,
                  "ci_high": ..., "interval": "lognormal", ...},
     "per_registered": 3.1,          # estimate / people on the registry's own lists
     "models": [{"name", "abundance", "stderr", "ci_low", "ci_high", "deviance", "df",
                 "aic", "bic", "fit_ok", "message"}, ...],   # search and family
     "bootstrap": {"seed", "replicates", "values": [...], "selected": {...},
                   "ci_low", "ci_high", "method": "percentile"},  # bootstrap only
     "steps": [["ost:police", 0.001], ...],                  # stepwise only
     "strata": {"F": {...estimate...}, "M": {...}}}          # with strata only
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from estimation import count_estimators as single_list
from estimation import hiv_trend as trend
from estimation.capture_recapture import (
    CaptureHistories,
    bootstrap,
    closed_population_models,
    fit_loglinear,
    search_models,
    stepwise,
    stratified,
)
from estimation.capture_recapture.results import LoglinearResult

METHODS = ("capture_recapture", "count_estimators", "hiv_trend")
ANALYSES = ("search", "model", "family", "stepwise", "bootstrap")
DEFAULT_PARAMETERS: dict[str, dict[str, Any]] = {
    "capture_recapture": {
        "analysis": "search",
        "criterion": "bic",
        "alpha": 0.05,
        "interval": "lognormal",
        "replicates": 1000,
        "seed": 20030101,
        "threshold": 0.02,
    },
    "count_estimators": {"alpha": 0.05},
    "hiv_trend": {"alpha": 0.05, "years": 6},
}


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _ratio(abundance: float | None, registered: int) -> float | None:
    return _num(abundance / registered) if abundance is not None and registered else None


def _estimate(result: LoglinearResult, alpha: float, interval: str) -> dict[str, Any]:
    entry = result.to_dict(alpha, method=interval)
    entry["interval"] = interval
    return entry


def _select(histories: CaptureHistories, p: dict[str, Any]) -> tuple[LoglinearResult, dict]:
    """The model the analysis chooses, and the payload parts it adds."""
    analysis = p["analysis"]
    alpha, interval = p["alpha"], p["interval"]
    if analysis == "model":
        return fit_loglinear(histories, p.get("model") or "Mt",
                             heterogeneity=p.get("heterogeneity")), {}  # fmt: skip
    if analysis == "family":
        table = closed_population_models(histories)
    elif analysis == "stepwise":
        chosen = stepwise(histories, threshold=p["threshold"])
        return chosen.model, {"steps": [[pair, _num(value)] for pair, value in chosen.steps]}
    else:  # search and bootstrap
        table = search_models(histories, criterion=p["criterion"], max_order=p.get("max_order"),
                              heterogeneity=p.get("heterogeneity"))  # fmt: skip
    models = [r.to_dict(alpha, method=interval if r.usable else None) for r in table.results]
    return table.best(), {"models": models}


def capture_recapture(
    histories: CaptureHistories | dict[str, CaptureHistories],
    parameters: dict[str, Any],
    *,
    registered: int,
) -> dict[str, Any]:
    """Payload of a capture-recapture study (see the module docstring)."""
    p = {**DEFAULT_PARAMETERS["capture_recapture"], **parameters}
    if p["analysis"] not in ANALYSES:
        raise ValueError(f"unknown analysis {p['analysis']!r}")
    alpha, interval = float(p["alpha"]), p["interval"]
    if isinstance(histories, dict):
        criterion = p["criterion"] if p["analysis"] == "search" else None
        fitted = stratified(histories, model=p.get("model") or "Mt", criterion=criterion)
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
            "per_registered": _ratio(fitted.abundance, registered),
            "strata": {name: _estimate(r, alpha, "lognormal") for name, r in fitted.strata.items()},
        }
    chosen, extra = _select(histories, p)
    estimate = _estimate(chosen, alpha, interval)
    payload: dict[str, Any] = {
        "method": "capture_recapture",
        "analysis": p["analysis"],
        "lists": list(histories.lists),
        "observed": int(histories.observed),
        "registered": registered,
        "estimate": estimate,
        "per_registered": _ratio(estimate["abundance"], registered),
        **extra,
    }
    if p["analysis"] == "bootstrap":
        boot = bootstrap(histories, rng=np.random.default_rng(int(p["seed"])),
                         replicates=int(p["replicates"]), criterion=p["criterion"],
                         model=p.get("model"), max_order=p.get("max_order"))  # fmt: skip
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


def count_estimators(
    frequencies: dict[int, int], parameters: dict[str, Any], *, registered: int
) -> dict[str, Any]:
    """Payload of single-list count estimators on ``{times seen: people}``."""
    p = {**DEFAULT_PARAMETERS["count_estimators"], **parameters}
    results = single_list.count_estimators(frequencies, alpha=float(p["alpha"]))
    models = [
        {"name": r.name, "abundance": _num(r.estimate), "stderr": _num(r.se),
         "ci_low": _num(r.ci_low), "ci_high": _num(r.ci_high), "interval": r.interval}
        for r in results
    ]  # fmt: skip
    return {
        "method": "count_estimators",
        "observed": int(sum(frequencies.values())),
        "registered": registered,
        "frequencies": {str(k): int(v) for k, v in sorted(frequencies.items())},
        "models": models,
        "estimate": models[0],
        "per_registered": _ratio(models[0]["abundance"], registered),
    }


def hiv_trend(rows: list[dict[str, int]], parameters: dict[str, Any]) -> dict[str, Any]:
    """Payload of an HIV prevalence trend on ``[{"year", "tested", "positive"}]``.

    ``{"method": "hiv_trend", "years": [{"year", "tested", "positive", "prevalence",
    "ci_low", "ci_high"}], "trend": {"odds_ratio_per_year", "ci_low", "ci_high",
    "p_value", "apc", "apc_low", "apc_high"} or None (fewer than 3 years)}``
    """
    p = {**DEFAULT_PARAMETERS["hiv_trend"], **parameters}
    alpha = float(p["alpha"])
    frame = pd.DataFrame(rows, columns=["year", "tested", "positive"])
    years = [
        {"year": y.year, "tested": y.tested, "positive": y.positive,
         "prevalence": _num(y.prevalence), "ci_low": _num(y.ci_low), "ci_high": _num(y.ci_high)}
        for y in trend.yearly_prevalence(frame, alpha=alpha)
    ]  # fmt: skip
    fitted = None
    if len(years) >= 3:
        t = trend.logistic_trend(frame, alpha=alpha)
        fitted = {name: _num(getattr(t, name)) for name in
                  ("odds_ratio_per_year", "ci_low", "ci_high", "p_value", "apc", "apc_low",
                   "apc_high")}  # fmt: skip
    return {"method": "hiv_trend", "years": years, "trend": fitted,
            "observed": int(frame["tested"].sum())}  # fmt: skip
