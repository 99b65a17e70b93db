"""The rules a new record and a correction of it share (issue 13: a corrected value
obeys the rules a new record obeys).

Public interface::

    same_day_lab_test(client_id, centre_id, test, day, *, besides=None) -> int | None
    same_day_dose(enrolment_id, day, *, besides=None) -> int | None
    same_day_dose_change(enrolment_id, day, *, besides=None) -> int | None
        # the id of the record already there (``besides``: the one being corrected)
    outside_enrolment(enrolment, day, field) -> [ServiceError]  # before entry / after exit
    over_dose_limit(enrolment, dose) -> [ServiceError]          # the medication's limit
    too_far_ahead(day) -> [ServiceError]   # a dose change past DOSE_CHANGE_SCHEDULE_DAYS

The checks return lists, as every rule check of the services does
(:func:`registry.services.errors.raise_all`); a ``None`` value is not judged.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db
from registry.models import DoseChange, DosingEvent, LabTest, OstEnrolment
from registry.schemas.ost import MAX_DOSE_MG
from registry.services.errors import ServiceError


def _one(message: Any, field: str) -> list[ServiceError]:
    return [ServiceError(message, field)]


def same_day_lab_test(
    client_id: int, centre_id: int, test: str, day: date, *, besides: int | None = None
) -> int | None:
    """The id of the client's result of ``test`` sampled on ``day`` at the centre."""
    query = select(LabTest.id).where(
        LabTest.client_id == client_id, LabTest.centre_id == centre_id,
        LabTest.test == test, LabTest.sample_date == day,
    )  # fmt: skip
    if besides is not None:
        query = query.where(LabTest.id != besides)
    return db.session.scalar(query.limit(1))


def same_day_dose(enrolment_id: int, day: date, *, besides: int | None = None) -> int | None:
    """The id of the enrolment's dose record of ``day``."""
    query = select(DosingEvent.id).where(
        DosingEvent.enrolment_id == enrolment_id, DosingEvent.dose_date == day
    )
    if besides is not None:
        query = query.where(DosingEvent.id != besides)
    return db.session.scalar(query.limit(1))


def same_day_dose_change(enrolment_id: int, day: date, *, besides: int | None = None) -> int | None:
    """The id of the enrolment's dose change effective from ``day``."""
    query = select(DoseChange.id).where(
        DoseChange.enrolment_id == enrolment_id, DoseChange.effective_date == day
    )
    if besides is not None:
        query = query.where(DoseChange.id != besides)
    return db.session.scalar(query.limit(1))


def outside_enrolment(enrolment: OstEnrolment, day: date | None, field: str) -> list[ServiceError]:
    """``day`` must fall between the enrolment and its exit (if any)."""
    if day is not None and day < enrolment.enrolment_date:
        return _one(_l("Cannot be before the enrolment date."), field)
    if day is not None and enrolment.exit_date is not None and day > enrolment.exit_date:
        return _one(_l("Cannot be after the exit from OST."), field)
    return []


def over_dose_limit(enrolment: OstEnrolment, dose: Any) -> list[ServiceError]:
    """``dose`` must be within the limit of the enrolment's medication."""
    limit = MAX_DOSE_MG[enrolment.medication]
    if dose is not None and dose > limit:
        return _one(_l("Above the limit of %(n)s mg for this medication.", n=limit), "dose_mg")
    return []


def too_far_ahead(day: date | None) -> list[ServiceError]:
    """A dose change ``day`` at most ``DOSE_CHANGE_SCHEDULE_DAYS`` ahead of today."""
    ahead = current_app.config["DOSE_CHANGE_SCHEDULE_DAYS"]
    if day is not None and day > date.today() + timedelta(days=ahead):
        return _one(
            _l("A change can be scheduled at most %(n)s days ahead.", n=ahead), "effective_date"
        )
    return []
