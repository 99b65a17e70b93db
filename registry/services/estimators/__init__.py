"""Run a study's method on its linked data and return the result payload (plain JSON).

Public interface::

    METHODS = ("capture_recapture", "count_estimators", "hiv_trend", "multiplier",
               "retention", "coverage", "projection")
    ANALYSES = ("average", "search", "model", "family", "stepwise", "bootstrap")
    DEFAULT_PARAMETERS: dict[str, dict]           # per method
    capture_recapture(histories, parameters: dict, *, registered: int,
                      checkpoint=None) -> dict      # checkpoint() between bootstrap batches
    count_estimators(frequencies: dict[int, int], parameters: dict, *, registered: int) -> dict
    hiv_trend(rows: list[dict], parameters: dict) -> dict     # "years" (default 6) up to the period
    multiplier(benchmark, parameters, *, registered, population, ref) -> dict
    retention(durations: DataFrame, parameters: dict) -> dict
    coverage(on_ost, estimate, ci_low, ci_high, *, census_date, source) -> dict
    projection(base_year, value, parameters, *, low, high, source) -> dict
    STUDY_METHODS                 # the four above: {"multiplier": module, ...}
    check_study(method, lists, parameters, *, actor, period) -> (lists, parameters)
    run_study(study) -> (payload, history_counts, hash basis)   # the worker's part
    result_rows(payload) -> list[dict] | None                   # CSV rows (None: not these)

The multiplier, retention, coverage and projection studies read the registry themselves
(:mod:`.sources`); their parameters and payloads are documented in their modules
(:mod:`.multiplier`, :mod:`.retention`, :mod:`.coverage`, :mod:`.projection`). Invalid
parameters raise ``marshmallow.ValidationError`` nested under ``parameters`` (e.g.
``{"parameters": {"surveys": {0: {"sample_size": [...]}}}}``); a wrong list raises
``ServiceError`` on ``lists``.

Parameters of ``capture_recapture`` (all optional): ``analysis`` (default ``"average"``: the
AIC-weighted average over the model search), ``criterion`` ("aic" (default)/"bic": weights
of the average, ranking of the search and bootstrap), ``max_order``, ``heterogeneity``,
``model`` (for ``"model"`` and a fixed-model bootstrap, e.g. ``"[12,3]"`` or ``"Mth"``),
``alpha`` (0.05), ``interval`` ("lognormal"/"profile"), ``replicates`` (bootstrap, 1000),
``seed`` (bootstrap, 20030101: the same seed on the same table gives the same numbers),
``threshold`` (stepwise, 0.02).

The payload (``EstimationResult.payload``)::

    {"method": "capture_recapture", "analysis": "search", "lists": ["ost", "police", ...],
     "observed": 480, "registered": 300,
     "estimate": {"name": "[12,3]", "abundance": ..., "stderr": ..., "ci_low": ...,
                  "ci_high": ..., "interval": "lognormal", ...},
     "per_registered": 3.1,          # estimate / people on the registry's own lists
     "models": [{"name", "abundance", "stderr", "ci_low", "ci_high", "deviance", "df",
                 "aic", "bic", "fit_ok", "status", "message",
                 "info_fit", "warnings",  # Rcapture's codes: [{"code", "message"}]
                 "weight"}, ...],      # search, average (weight) and family
     "bootstrap": {"seed", "replicates", "values": [...], "selected": {...},
                   "ci_low", "ci_high", "method": "percentile"},  # bootstrap only
     "steps": [["ost:police", 0.001], ...],                  # stepwise only
     "strata": {"F": {...estimate...}, "M": {...}}}          # with strata only

With ``"average"`` the estimate is ``{"name": "average (AIC)", "abundance", "stderr"
(unconditional), "ci_low", "ci_high", "interval": "chao_log", "criterion": "aic",
"models": <number averaged>}``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.models import Study
from registry.models.users import User
from registry.services.estimators import capture_recapture as _cr
from registry.services.estimators import counts as _counts
from registry.services.estimators import coverage as _coverage
from registry.services.estimators import hiv as _hiv
from registry.services.estimators import multiplier as _multiplier
from registry.services.estimators import projection as _projection
from registry.services.estimators import retention as _retention
from registry.services.estimators.capture_recapture import ANALYSES, capture_recapture
from registry.services.estimators.counts import count_estimators
from registry.services.estimators.coverage import coverage
from registry.services.estimators.hiv import hiv_trend
from registry.services.estimators.multiplier import multiplier
from registry.services.estimators.projection import projection
from registry.services.estimators.retention import retention

#: Methods that read their own inputs from the registry (not through linkage).
STUDY_METHODS = {
    "multiplier": _multiplier,
    "retention": _retention,
    "coverage": _coverage,
    "projection": _projection,
}
METHODS = ("capture_recapture", "count_estimators", "hiv_trend", *STUDY_METHODS)
DEFAULT_PARAMETERS: dict[str, dict[str, Any]] = {
    "capture_recapture": _cr.DEFAULTS,
    "count_estimators": _counts.DEFAULTS,
    "hiv_trend": _hiv.DEFAULTS,
    **{name: module.DEFAULTS for name, module in STUDY_METHODS.items()},
}


def check_study(
    method: str,
    lists: list[str],
    parameters: dict[str, Any],
    *,
    actor: User,
    period: tuple[date, date],
) -> tuple[list[str], dict[str, Any]]:
    """The validated lists and parameters of a new study of one of :data:`STUDY_METHODS`."""
    return STUDY_METHODS[method].check(lists, parameters, actor=actor, period=period)


def run_study(study: Study) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """``(payload, history_counts, hash basis)`` of a study of :data:`STUDY_METHODS`.

    The hash basis is ``{"lists": [{"ref", "digest"}, ...]}`` as
    :func:`registry.services.studies.input_hash` takes it.
    """
    return STUDY_METHODS[study.method].run(study)


def result_rows(payload: dict[str, Any]) -> list[dict[str, Any]] | None:
    """CSV rows of a payload of :data:`STUDY_METHODS`; ``None`` for the other methods."""
    module = STUDY_METHODS.get(payload.get("method", ""))
    return module.rows(payload) if module else None


__all__ = [
    "ANALYSES",
    "DEFAULT_PARAMETERS",
    "METHODS",
    "STUDY_METHODS",
    "capture_recapture",
    "check_study",
    "count_estimators",
    "coverage",
    "hiv_trend",
    "multiplier",
    "projection",
    "result_rows",
    "retention",
    "run_study",
]
