"""Approval of estimation results for publication: only approved results reach ministries.

Public interface::

    approve_result(result: EstimationResult, *, actor: User) -> EstimationResult
    withdraw_approval(result: EstimationResult, *, actor: User) -> EstimationResult
    latest_approved_result(method: str, area_code: str, period: str)
        -> EstimationResult | None
    approved_results(*columns) -> Select    # approved results, newest first, with study and area

An epidemiologist or an admin approves the result of a *succeeded* job after reading it
(``approved``, ``approved_by_id``, ``approved_at`` of
:class:`~registry.models.EstimationResult`), and may withdraw the approval (the three
fields are cleared). Both are audited (``update estimation_result``, detail ``approve`` /
``withdraw``); anybody else gets :class:`~registry.services.access.AccessDenied`, a result
in another state or already in the asked state a :class:`ServiceError` on ``result``.

:func:`latest_approved_result` is what estimate-based indicators (issue 7: estimated
users with interval, estimated users per registered user, OST coverage) read: among the
approved results of studies with this ``method`` (e.g. ``"capture_recapture"``), area
code and ISO period, the most recently approved one (ties: the newest result), or
``None``. It takes no actor: the caller (the analytics layer) checks access and audits its
own output. Nothing here commits.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db
from registry.models import EstimationJob, EstimationResult, OrgUnit, Study, User
from registry.models.base import utcnow
from registry.models.studies import SUCCEEDED
from registry.services import audit
from registry.services.access import ensure_epidemiology
from registry.services.errors import ServiceError
from registry.services.job_queue import draw_dashboard_after_commit


def _check(result: EstimationResult, actor: User) -> None:
    ensure_epidemiology(actor)
    if result.job.state != SUCCEEDED:
        raise ServiceError(_l("Only the result of a succeeded job can be approved."), "result")


def approve_result(result: EstimationResult, *, actor: User) -> EstimationResult:
    """Approve ``result`` for publication (by ``actor``, now)."""
    _check(result, actor)
    if result.approved:
        raise ServiceError(_l("This result is already approved."), "result")
    result.approved = True
    result.approved_by_id = actor.id
    result.approved_at = utcnow()
    audit.record_event(actor, "update", "estimation_result", result.id, detail="approve")
    draw_dashboard_after_commit()  # its estimates are on the ministry dashboard's plots
    return result


def withdraw_approval(result: EstimationResult, *, actor: User) -> EstimationResult:
    """Withdraw the approval of ``result``: it no longer reaches ministry outputs."""
    _check(result, actor)
    if not result.approved:
        raise ServiceError(_l("This result is not approved."), "result")
    result.approved = False
    result.approved_by_id = None
    result.approved_at = None
    audit.record_event(actor, "update", "estimation_result", result.id, detail="withdraw")
    draw_dashboard_after_commit()
    return result


def approved_results(*columns):
    """``select(*columns)`` over approved results of succeeded jobs, newest approval first,
    joined to their study and its area (``Study``, ``OrgUnit``) for the caller's filters."""
    return (
        select(*columns)
        .join(EstimationJob, EstimationResult.job_id == EstimationJob.id)
        .join(Study, EstimationJob.study_id == Study.id)
        .join(OrgUnit, Study.area_id == OrgUnit.id)
        .where(EstimationResult.approved.is_(True), EstimationJob.state == SUCCEEDED)
        .order_by(EstimationResult.approved_at.desc(), EstimationResult.id.desc())
    )


def latest_approved_result(method: str, area_code: str, period: str) -> EstimationResult | None:
    """The most recently approved result of a ``method`` study of the area and ISO period."""
    query = approved_results(EstimationResult).where(
        Study.method == method, OrgUnit.code == area_code, Study.period == period
    )
    return db.session.scalar(query.limit(1))
