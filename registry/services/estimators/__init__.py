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

from typing import Any

from registry.services.estimators import capture_recapture as _cr
from registry.services.estimators import counts as _counts
from registry.services.estimators import hiv as _hiv
from registry.services.estimators.capture_recapture import ANALYSES, capture_recapture
from registry.services.estimators.counts import count_estimators
from registry.services.estimators.hiv import hiv_trend

METHODS = ("capture_recapture", "count_estimators", "hiv_trend")
DEFAULT_PARAMETERS: dict[str, dict[str, Any]] = {
    "capture_recapture": _cr.DEFAULTS,
    "count_estimators": _counts.DEFAULTS,
    "hiv_trend": _hiv.DEFAULTS,
}

__all__ = [
    "ANALYSES",
    "DEFAULT_PARAMETERS",
    "METHODS",
    "capture_recapture",
    "count_estimators",
    "hiv_trend",
]
