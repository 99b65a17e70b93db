"""Bayesian capture-recapture payloads: the analyses ``"dga"`` and ``"lcmcr"``.

Both give the posterior of the population size (:class:`estimation.capture_recapture.
posterior.PosteriorSize`); the payload keeps the keys of the other analyses::

    {"method": "capture_recapture", "analysis": "dga", "lists": [...], "observed": 480,
     "registered": 300,
     "estimate": {"name": "dga", "abundance": <posterior median>, "stderr": <posterior sd>,
                  "ci_low", "ci_high": <alpha/2 and 1 - alpha/2 quantiles>,
                  "interval": "posterior", "median", "mean", "mode"},
     "posterior": {"warnings": [{"code": "grid_edge", "message"}, ...],
                   ...the method's details: for dga "delta", "graphs" ([{"graph": "[12,3]",
                   "weight": 0.37}, ...]), "graph_count", "relative_loss_estimate", "grid";
                   for lcmcr its sampler's figures}}

``dga`` takes the parameter ``delta`` (default ``2**-k``); ``lcmcr`` takes ``seed`` and
``chains``. Neither takes strata: a stratified study is refused when it is created
(:mod:`.capture_recapture_checks`); the refusal here guards a study stored before that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from estimation.capture_recapture import CaptureHistories
from estimation.capture_recapture.posterior import PosteriorSize
from registry.services.errors import ServiceError
from registry.services.methods.base import num as _num

#: The figures of the estimate entry (the rest of the posterior's row goes to "posterior").
ESTIMATE_KEYS = ("abundance", "stderr", "ci_low", "ci_high", "median", "mean", "mode")
#: Row keys that repeat the estimate or the result's status.
_NOT_DETAILS = {*ESTIMATE_KEYS, "name", "alpha", "fit_ok", "message"}


def _dga(histories: CaptureHistories, p: dict[str, Any]) -> PosteriorSize:
    from estimation.capture_recapture.dga import dga

    return dga(histories, delta=p.get("delta"), alpha=float(p["alpha"]))


def _lcmcr(histories: CaptureHistories, p: dict[str, Any]) -> PosteriorSize:
    from estimation.capture_recapture.lcmcr import lcmcr  # another module's; loaded on use

    return lcmcr(histories, seed=int(p["seed"]), chains=p.get("chains"), alpha=float(p["alpha"]))


#: analysis -> the function that computes its posterior.
POSTERIORS: dict[str, Callable[[CaptureHistories, dict[str, Any]], PosteriorSize]] = {
    "dga": _dga,
    "lcmcr": _lcmcr,
}


def bayesian_payload(
    histories: CaptureHistories | dict[str, CaptureHistories],
    p: dict[str, Any],
    *,
    registered: int,
) -> dict[str, Any]:
    """Payload of a Bayesian analysis (see the module docstring)."""
    if isinstance(histories, dict):
        raise ServiceError(
            _l("The Bayesian analyses do not take strata: run one study per stratum."), "strata"
        )
    row = POSTERIORS[p["analysis"]](histories, p).to_dict()
    estimate: dict[str, Any] = {"name": row["name"]}
    estimate.update({key: _num(row[key]) for key in ESTIMATE_KEYS})
    estimate["interval"] = "posterior"
    return {
        "method": "capture_recapture",
        "analysis": p["analysis"],
        "lists": list(histories.lists),
        "observed": int(histories.observed),
        "registered": registered,
        "estimate": estimate,
        "posterior": {key: value for key, value in row.items() if key not in _NOT_DETAILS},
    }
