"""Published estimates: the latest *approved* estimation result of an area and period.

Public interface::

    ESTIMATE_METHODS = ("capture_recapture", "count_estimators")
    approved_estimate(area_code: str, period: str) -> Estimate | None

Only results an epidemiologist approved reach ministry outputs. When several methods have
an approved result for the same area and ISO period, the most recently approved wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from registry.extensions import db
from registry.models import EstimationJob, EstimationResult, OrgUnit, Study

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
    query = (
        select(EstimationResult, Study.method)
        .join(EstimationJob, EstimationJob.id == EstimationResult.job_id)
        .join(Study, Study.id == EstimationJob.study_id)
        .join(OrgUnit, OrgUnit.id == Study.area_id)
        .where(
            EstimationResult.approved.is_(True),
            Study.method.in_(ESTIMATE_METHODS),
            Study.period == period,
            OrgUnit.code == area_code,
        )
        .order_by(EstimationResult.approved_at.desc(), EstimationResult.id.desc())
    )
    for result, method in db.session.execute(query):
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
