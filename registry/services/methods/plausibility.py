"""Plausibility warnings on results: coded, kept in the payload's ``warnings`` list.

Public interface::

    CODES                                   # every warning code, in docs/estimation-jobs.md
    estimate_warnings(payload) -> list[dict]    # a population estimate's
    # a retention study's: retention_result.retention_warnings; coverage's:
    # coverage.coverage_warnings (each beside its payload type)
    zero_width(low, high) -> bool

A warning does not stop a result: it says what a reader must check before trusting or
approving it. Each is ``{"code": ..., <the numbers it is about>}`` (language-neutral; the
result page words it, ``studies/results/_warnings.html``):

- ``estimate_below_registered`` ``{"estimate", "registered"}``: the estimate is below the
  people on the narcological register (:mod:`.population`), who are all in the
  population; the survey proportion or the lists are then suspect.
- ``zero_width_interval`` ``{"what": "estimate"}`` or ``{"what": "retention", "group",
  "months", "n"}``: an interval whose bounds are equal, which tiny groups give (two
  clients both retained: "100.0 – 100.0"); it is not certainty but too little data.
- ``coverage_population`` ``{"population", "expected"}``: OST coverage divided by an
  estimate of another population than opioid-dependent PWID (or of an unrecorded one).
"""

from __future__ import annotations

import math
from typing import Any

from registry.services.methods.payload import EstimateEntry, EstimatingPayload

CODES = ("estimate_below_registered", "zero_width_interval", "coverage_population")
#: The retention times checked, in months, as the payload names them (``at_6_months``).
RETENTION_MONTHS = (6, 12)


def zero_width(low: float | None, high: float | None) -> bool:
    """True if both bounds are known and equal (to rounding)."""
    if low is None or high is None:
        return False
    return math.isclose(low, high, rel_tol=1e-9, abs_tol=1e-12)


def estimate_warnings(payload: EstimatingPayload) -> list[dict[str, Any]]:
    """Warnings of a population estimate: below the registered count, zero-width interval."""
    estimate = payload.estimate or EstimateEntry()
    abundance, registered = estimate.abundance, payload.registered_users
    out: list[dict[str, Any]] = []
    if abundance is not None and registered and abundance < registered:
        out.append(
            {"code": "estimate_below_registered", "estimate": abundance, "registered": registered}
        )
    if zero_width(estimate.ci_low, estimate.ci_high):
        out.append({"code": "zero_width_interval", "what": "estimate"})
    return out


__all__ = [
    "CODES",
    "RETENTION_MONTHS",
    "estimate_warnings",
    "zero_width",
]
