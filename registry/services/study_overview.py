"""The epidemiologist's start page: recent jobs, lists, results to approve, approved results.

Public interface::

    study_overview(*, actor: User, limit: int = 8) -> StudyOverview

One role check and one audited read for the whole page, and one query per block however
many rows it shows (the job's study and area, a list's area and pairing job are loaded
with their row; the result blocks read columns, never the payloads, which can be large).
Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import joinedload

from registry.extensions import db
from registry.models import EstimationJob, EstimationResult, OrgUnit, SourceList, Study, User
from registry.models.studies import SUCCEEDED
from registry.services import audit
from registry.services.access import ensure_epidemiology
from registry.services.approvals import approved_results

#: Approved results the page lists (grouped by year), newest approval first.
APPROVED_LIMIT = 200


@dataclass(frozen=True)
class StudyOverview:
    """What the start page shows.

    ``jobs`` and ``lists`` are ORM rows with their study/area and area/job loaded;
    ``awaiting`` and each year's rows of ``approved_by_year`` are rows of ``job_id``,
    ``title``, ``method``, ``period``, ``area``, ``finished_at`` (and ``approved_at``).
    """

    jobs: Sequence[EstimationJob]
    lists: Sequence[SourceList]
    awaiting: Sequence[Row[Any]]
    approved_by_year: dict[int, list[Row[Any]]]


def _result_columns() -> tuple[Any, ...]:
    return (
        EstimationJob.id.label("job_id"),
        Study.title,
        Study.method,
        Study.period,
        Study.period_start,
        OrgUnit.code.label("area"),
        EstimationResult.finished_at,
        EstimationResult.approved_at,
    )


def study_overview(*, actor: User, limit: int = 8) -> StudyOverview:
    """The start page's blocks, newest first (one audited read)."""
    ensure_epidemiology(actor)
    jobs = db.session.scalars(
        select(EstimationJob)
        .where(EstimationJob.study_id.is_not(None))  # an upload's pairing job is its list's
        .options(joinedload(EstimationJob.study).joinedload(Study.area))
        .order_by(EstimationJob.id.desc())
        .limit(limit)
    ).all()
    lists = db.session.scalars(
        select(SourceList)
        .options(joinedload(SourceList.area), joinedload(SourceList.job))
        .order_by(SourceList.id.desc())
        .limit(limit)
    ).all()
    awaiting = db.session.execute(
        select(*_result_columns())
        .join(EstimationJob, EstimationResult.job_id == EstimationJob.id)
        .join(Study, EstimationJob.study_id == Study.id)
        .join(OrgUnit, Study.area_id == OrgUnit.id)
        .where(EstimationResult.approved.is_(False), EstimationJob.state == SUCCEEDED)
        .order_by(EstimationResult.finished_at.desc(), EstimationJob.id.desc())
        .limit(limit)
    ).all()
    approved = db.session.execute(approved_results(*_result_columns()).limit(APPROVED_LIMIT))
    by_year: dict[int, list[Row[Any]]] = {}
    for row in approved:
        by_year.setdefault(row.period_start.year, []).append(row)
    audit.record_event(actor, "read", "estimation_job", None, detail="overview")
    return StudyOverview(
        jobs=jobs,
        lists=lists,
        awaiting=awaiting,
        approved_by_year=dict(sorted(by_year.items(), reverse=True)),
    )


__all__ = ["StudyOverview", "study_overview"]
