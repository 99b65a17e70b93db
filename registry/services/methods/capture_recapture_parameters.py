"""The parameters that apply to a capture-recapture result, with the values it used.

A study stores every parameter of the schema (defaults filled in), most of which its
analysis never reads: the result page showed dga's results with the log-linear search's
settings and without dga's own. :func:`parameters_used` gives exactly those the analysis
run read, with the values the computation took, defaults resolved from the result:

- every analysis: ``alpha``, ``key_population``;
- ``average``: ``criterion`` and ``criterion_used`` (the average's), ``max_order`` (the
  search's default: ``k - 1`` up to five lists, 2 for six, 1 beyond), ``heterogeneity``
  when set, ``interval`` (the model table's intervals; the average's is Chao's);
- ``search``: ``criterion_used`` (always BIC: the estimate is the BIC-best model),
  ``ranking`` (the criterion that orders the table), ``max_order``, ``heterogeneity``,
  ``interval``;
- ``family``: ``interval``; ``stepwise``: ``threshold``, ``interval``;
- ``model``: ``model`` (Mt unless chosen), ``heterogeneity`` (Chao for Mh and Mth
  unless chosen), ``interval``;
- ``bootstrap``: ``model`` if chosen, else ``criterion_used`` and ``max_order``;
  ``replicates``, ``seed``;
- ``dga``: ``delta`` as used (``2**-k`` unless chosen);
- ``lcmcr``: ``chains``, ``seed``, ``classes``, ``concentration_prior`` (a_α, b_α),
  ``burn_in``, ``samples``, ``thinning``, as the sampler ran.

With strata (the payload's ``analysis`` is then ``"stratified"``) the study's analysis
decides, and ``strata_model`` says what each stratum fitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estimation.capture_recapture.candidates import check_order
from registry.services.methods.capture_recapture_payload import criterion_of
from registry.services.methods.capture_recapture_result import CaptureRecaptureResult
from registry.services.methods.population import DEFAULT_POPULATION

#: The lcmcr sampler's settings, as the posterior records them, in display order.
LCMCR_SETTINGS = ("chains", "seed", "classes", "burn_in", "samples", "thinning")


def _max_order(p: Mapping[str, Any], k: int) -> int | None:
    try:
        return check_order(k, p.get("max_order"))
    except ValueError:
        return p.get("max_order")


def _criterion_used(payload: CaptureRecaptureResult, p: Mapping[str, Any]) -> str | None:
    estimate = payload.estimate
    used = (payload.selection or {}).get("used") or (estimate.criterion if estimate else None)
    if used:
        return str(used).upper()
    criterion = p.get("criterion") or "auto"
    if criterion != "auto":
        return str(criterion).upper()
    return "AIC" if p.get("analysis") == "bootstrap" else "BIC"


def parameters_used(payload: CaptureRecaptureResult) -> dict[str, Any] | None:
    """``{name: value}`` of the parameters the result's analysis used (module docstring);
    None for a result stored without its parameters."""
    p = payload.parameters
    if p is None:
        return None
    analysis = p.get("analysis") or "average"
    k = len(payload.lists)
    post = payload.posterior or {}
    used: dict[str, Any] = {"analysis": analysis}
    if analysis == "average":
        used["criterion"] = p.get("criterion") or "auto"
        used["criterion_used"] = _criterion_used(payload, p)
        used["max_order"] = _max_order(p, k)
        used["heterogeneity"] = p.get("heterogeneity")
        used["interval"] = p.get("interval")
    elif analysis == "search":  # the estimate is the BIC-best model however it is ranked
        used["criterion_used"] = "BIC"
        used["ranking"] = criterion_of({**p, "criterion": p.get("criterion") or "auto"}).upper()
        used["max_order"] = _max_order(p, k)
        used["heterogeneity"] = p.get("heterogeneity")
        used["interval"] = p.get("interval")
    elif analysis in ("family", "stepwise"):
        if analysis == "stepwise":
            used["threshold"] = p.get("threshold")
        used["interval"] = p.get("interval")
    elif analysis == "model":
        model = p.get("model") or "Mt"
        used["model"] = model
        chao = "Chao" if model in ("Mh", "Mth") else None
        used["heterogeneity"] = p.get("heterogeneity") or chao
        used["interval"] = p.get("interval")
    elif analysis == "bootstrap":
        if p.get("model"):
            used["model"] = p["model"]
        else:
            used["criterion_used"] = _criterion_used(payload, p)
            used["max_order"] = _max_order(p, k)
        used["replicates"] = p.get("replicates")
        used["seed"] = p.get("seed")
    elif analysis == "dga":
        used["delta"] = post.get("delta", p.get("delta") or (2.0**-k if k else None))
    elif analysis == "lcmcr":
        used.update({name: post.get(name, p.get(name)) for name in LCMCR_SETTINGS})
        if post.get("a_alpha") is not None:
            used["concentration_prior"] = (post["a_alpha"], post.get("b_alpha"))
    used["alpha"] = p.get("alpha")
    used["key_population"] = (
        payload.key_population or p.get("key_population") or (DEFAULT_POPULATION)
    )
    return {name: value for name, value in used.items() if value is not None}


__all__ = ["parameters_used"]
