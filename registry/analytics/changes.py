"""Noticing that the registry data changed, so the analytics tables get refreshed.

Public interface::

    SOURCE_MODELS                  # the models the analytics tables are counted from
    track_changes() -> None        # install the session listeners (once per process)

A transaction that adds, changes or deletes a row of a source model writes one
:class:`~registry.models.AnalyticsChange` row in the same transaction (so a rolled-back
change leaves none): the refresher (:func:`registry.analytics.refresh.refresh_due`)
compares the newest change with the one the tables cover. Writes that bypass the ORM
session (the simulator's bulk load, raw SQL) are not seen: ``flask analytics refresh``
after them, or wait for the daily refresh (``ANALYTICS_REFRESH_MAX_AGE_HOURS``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from registry.models import (
    AnalyticsChange,
    Client,
    DoseChange,
    LabTest,
    OrgUnit,
    OstEnrolment,
    Population,
    RecordAmendment,
    TreatmentCentre,
    TreatmentEpisode,
)
from registry.models.base import utcnow

#: A correction or void writes a RecordAmendment, so every amendment counts as a change
#: (a dose's correction too, though dosing events are not counted themselves).
SOURCE_MODELS = (Client, TreatmentEpisode, OstEnrolment, DoseChange, LabTest, OrgUnit,
                 TreatmentCentre, Population, RecordAmendment)  # fmt: skip
_MARKED = "analytics_change_marked"


def _after_flush(session: Session, _context: Any) -> None:
    if session.info.get(_MARKED):
        return
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(instance, SOURCE_MODELS) for instance in touched):
        session.connection().execute(insert(AnalyticsChange).values(at=utcnow()))
        session.info[_MARKED] = True


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_MARKED, None)


def track_changes() -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _forget)
        event.listen(Session, "after_soft_rollback", _forget)
