"""Published estimates: the latest *approved* estimation result of an area and period.

Public interface::

    ESTIMATE_METHODS = ("capture_recapture", "count_estimators")
    approved_estimate(area_code: str, period: str) -> Estimate | None

Only results an epidemiologist approved reach ministry outputs. When several methods have
an approved result for the same area and ISO period, the most recently approved wins
(:func:`registry.services.approvals.latest_approved_result` per method).
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.services.approvals import latest_approved_result

ESTIMATE_METHODS = ("capture_recapture", "count_estimators")


@dataclass(frozen=True)
class Estimate:
    """Estimated number of people who use drugs, with its interval, and where it came from."""

    value: float
    low: float | None
    high: float | None
    result_id: int
    method: str


def approved_estimate(area_code: str, period: str) -> Estimate | None:
    """The latest approved estimate for the area's code and the ISO period, if any."""
    results = [
        (result, method)
        for method in ESTIMATE_METHODS
        if (result := latest_approved_result(method, area_code, period)) is not None
    ]
    results.sort(key=lambda pair: (pair[0].approved_at, pair[0].id), reverse=True)
    for result, method in results:
        estimate = (result.payload or {}).get("estimate") or {}
        if estimate.get("abundance") is not None:
            return Estimate(
                float(estimate["abundance"]),
                _number(estimate.get("ci_low")),
                _number(estimate.get("ci_high")),
                result.id,
                method,
            )
    return None


def _number(value) -> float | None:
    return float(value) if value is not None else None
