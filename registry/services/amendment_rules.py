"""What each kind of record allows when it is corrected or voided.

Public interface::

    KINDS[entity] -> Kind      # entity: a key of registry.codes.AMENDABLE_RECORDS
    Kind.model, Kind.audit_entity
    Kind.applies(record) -> bool          # e.g. a discharge needs a discharged episode
    Kind.centre_id(record) -> int; Kind.client_id(record) -> int
    Kind.problems(record, values) -> [ServiceError]   # every rule the values break
    Kind.void_problems(record) -> [ServiceError]      # what stands in the way of a void
    Kind.void(record) -> dict             # removes (or reopens) it; returns what it was

A corrected value obeys the rules a new record obeys (the entry schema has already
checked it alone; ``problems`` checks it against the other records). Like the new-record
rules (:mod:`registry.services.errors`), ``problems`` returns every error at once and
judges only the values given: a form whose schema refused some fields asks about the
others, so the schema's and the record's messages appear together. Voiding an admission,
a dose, a dose change or a test deletes its row (its values go to the amendment);
voiding an OST enrolment deletes its doses and dose changes with it; voiding a discharge
or an OST exit reopens the episode or enrolment, where nothing later is in the way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from registry.extensions import db
from registry.models import DoseChange, DosingEvent, LabTest, OstEnrolment, TreatmentEpisode
from registry.schemas.clients import MIN_AGE_AT_ADMISSION
from registry.schemas.ost import MAX_DOSE_MG
from registry.services.entry_rules import (
    outside_enrolment,
    over_dose_limit,
    same_day_dose,
    same_day_dose_change,
    same_day_lab_test,
    too_far_ahead,
)
from registry.services.errors import DuplicateEntryError, ServiceError
from registry.services.ost_induction import induction_change, induction_problems
from registry.services.record_snapshot import snapshot


@dataclass(frozen=True)
class Kind:
    """The rules of one kind of record (see the module docstring)."""

    model: type
    audit_entity: str
    centre_id: Callable[[Any], int]
    client_id: Callable[[Any], int]
    problems: Callable[[Any, dict[str, Any]], list[ServiceError]]
    void: Callable[[Any], dict[str, Any]]
    applies: Callable[[Any], bool] = lambda record: True
    void_problems: Callable[[Any], list[ServiceError]] = lambda record: []


def _error(message: Any, field: str | None = None) -> list[ServiceError]:
    return [ServiceError(message, field)]


# --- admissions and discharges ---------------------------------------------------


def _admission_problems(episode: TreatmentEpisode, values: dict[str, Any]) -> list[ServiceError]:
    """The TDI items against the admission's age and year (the form has no birth date)."""
    errors, age = [], episode.age_at_admission
    if values.get("age_first_use") is not None and values["age_first_use"] > age:
        errors += _error(
            _l("Age at first use cannot be above the age at admission."), "age_first_use"
        )
    if values.get("age_first_injection") is not None and values["age_first_injection"] > age:
        errors += _error(_l("Cannot be above the age at admission."), "age_first_injection")
    year = values.get("ost_first_year")
    if year is not None and year > episode.admission_date.year:
        errors += _error(_l("Cannot be after the admission year."), "ost_first_year")
    elif year is not None and year < episode.client.birth_year + MIN_AGE_AT_ADMISSION:
        errors += _error(_l("Too early for this date of birth."), "ost_first_year")
    return errors


def _admission_void_problems(episode: TreatmentEpisode) -> list[ServiceError]:
    linked = select(OstEnrolment.id).where(OstEnrolment.episode_id == episode.id)
    if db.session.scalar(linked.limit(1)) is not None:
        return _error(_l("An OST enrolment is linked to this admission: void it first."))
    return []


def _same_programme(episode: TreatmentEpisode) -> Any:
    return select(TreatmentEpisode.id).where(
        TreatmentEpisode.client_id == episode.client_id,
        TreatmentEpisode.centre_id == episode.centre_id,
        TreatmentEpisode.programme == episode.programme,
        TreatmentEpisode.id != episode.id,
    )


def _discharge_problems(episode: TreatmentEpisode, values: dict[str, Any]) -> list[ServiceError]:
    day = values.get("discharge_date")
    if day is None:
        return []
    if day < episode.admission_date:
        return _error(_l("Cannot be before the admission date."), "discharge_date")
    later = _same_programme(episode).where(
        TreatmentEpisode.admission_date >= episode.admission_date,
        TreatmentEpisode.admission_date < day,
    )
    if db.session.scalar(later.limit(1)) is not None:
        return _error(
            _l("A later episode of this programme here starts before this date."),
            "discharge_date",
        )
    return []


def _discharge_void_problems(episode: TreatmentEpisode) -> list[ServiceError]:
    in_the_way = _same_programme(episode).where(
        or_(
            TreatmentEpisode.discharge_date.is_(None),
            TreatmentEpisode.admission_date >= episode.admission_date,
        )
    )
    if db.session.scalar(in_the_way.limit(1)) is not None:
        return _error(
            _l("The client has a later or open episode of this programme here: "
               "correct the discharge date instead.")
        )  # fmt: skip
    return []


def _void_discharge(episode: TreatmentEpisode) -> dict[str, Any]:
    was = snapshot(episode, ("discharge_date", "discharge_reason"))
    episode.discharge_date = None
    episode.discharge_reason = None
    return was


# --- OST ------------------------------------------------------------------------


def _enrolment_problems(enrolment: OstEnrolment, values: dict[str, Any]) -> list[ServiceError]:
    """The dates and doses recorded since must still fit; the induction dose change moves
    with a corrected enrolment (:mod:`registry.services.ost_induction`), so it is left out."""
    start, medication = values.get("enrolment_date"), values.get("medication")
    first = db.session.execute(
        select(func.min(DosingEvent.dose_date), func.max(DosingEvent.dose_mg)).where(
            DosingEvent.enrolment_id == enrolment.id
        )
    ).one()
    induction = induction_change(enrolment)
    first_change = db.session.execute(
        select(func.min(DoseChange.effective_date), func.max(DoseChange.dose_mg)).where(
            DoseChange.enrolment_id == enrolment.id,
            DoseChange.id != (induction.id if induction is not None else -1),
        )
    ).one()
    errors = []
    earliest = [d for d in (first[0], first_change[0]) if d is not None]
    if start is not None and earliest and start > min(earliest):
        errors += _error(
            _l("Cannot be after the first recorded dose or dose change."), "enrolment_date"
        )
    elif start is not None and enrolment.exit_date is not None and start > enrolment.exit_date:
        errors += _error(_l("Cannot be after the exit from OST."), "enrolment_date")
    highest = [d for d in (first[1], first_change[1]) if d is not None]
    if medication in MAX_DOSE_MG and highest and max(highest) > MAX_DOSE_MG[medication]:
        limit = MAX_DOSE_MG[medication]
        errors += _error(
            _l("Recorded doses are above the limit of %(n)s mg for this medication.", n=limit),
            "medication",
        )
    return errors + induction_problems(enrolment, values)


def _void_enrolment(enrolment: OstEnrolment) -> dict[str, Any]:
    was = snapshot(enrolment)
    was["doses"] = [snapshot(dose) for dose in enrolment.doses]
    was["dose_changes"] = [snapshot(change) for change in enrolment.dose_changes]
    for child in (*enrolment.doses, *enrolment.dose_changes):
        db.session.delete(child)
    db.session.flush()
    db.session.delete(enrolment)
    return was


def _exit_problems(enrolment: OstEnrolment, values: dict[str, Any]) -> list[ServiceError]:
    day = values.get("exit_date")
    if day is None:
        return []
    if day < enrolment.enrolment_date:
        return _error(_l("Cannot be before the enrolment date."), "exit_date")
    last_dose = db.session.scalar(
        select(func.max(DosingEvent.dose_date)).where(DosingEvent.enrolment_id == enrolment.id)
    )
    if last_dose is not None and day < last_dose:
        return _error(_l("Cannot be before the last recorded dose."), "exit_date")
    return []


def _exit_void_problems(enrolment: OstEnrolment) -> list[ServiceError]:
    other = select(OstEnrolment.id).where(
        OstEnrolment.client_id == enrolment.client_id,
        OstEnrolment.id != enrolment.id,
        or_(OstEnrolment.exit_date.is_(None),
            OstEnrolment.enrolment_date >= enrolment.enrolment_date),
    )  # fmt: skip
    if db.session.scalar(other.limit(1)) is not None:
        return _error(
            _l("The client has a later or current OST enrolment: "
               "correct the exit date instead.")
        )  # fmt: skip
    return []


def _void_exit(enrolment: OstEnrolment) -> dict[str, Any]:
    was = snapshot(enrolment, ("exit_date", "exit_reason"))
    enrolment.exit_date = None
    enrolment.exit_reason = None
    return was


def _dosing_event_problems(dose: DosingEvent, values: dict[str, Any]) -> list[ServiceError]:
    enrolment, day = dose.enrolment, values.get("dose_date")
    errors = outside_enrolment(enrolment, day, "dose_date")
    errors += over_dose_limit(enrolment, values.get("dose_mg"))
    other = day is not None and same_day_dose(enrolment.id, day, besides=dose.id)
    if other:
        errors.append(DuplicateEntryError(
            _l("A dose is already recorded for this day."), "dose_date",
            entity="dosing_event", record_id=other,
        ))  # fmt: skip
    return errors


def _dose_change_problems(change: DoseChange, values: dict[str, Any]) -> list[ServiceError]:
    enrolment, day = change.enrolment, values.get("effective_date")
    errors = outside_enrolment(enrolment, day, "effective_date") + too_far_ahead(day)
    errors += over_dose_limit(enrolment, values.get("dose_mg"))
    other = day is not None and same_day_dose_change(enrolment.id, day, besides=change.id)
    if other:
        errors.append(DuplicateEntryError(
            _l("A dose change from this date is already recorded."), "effective_date",
            entity="dose_change", record_id=other,
        ))  # fmt: skip
    return errors


# --- laboratory -------------------------------------------------------------------


def _lab_test_problems(test: LabTest, values: dict[str, Any]) -> list[ServiceError]:
    day = values.get("sample_date")
    if day is None:
        return []
    if day.year < test.client.birth_year:
        return _error(_l("Cannot be before the client's birth."), "sample_date")
    other = values.get("test") and same_day_lab_test(
        test.client_id, test.centre_id, values["test"], day, besides=test.id
    )
    if other:
        return [DuplicateEntryError(
            _l("A result of this test on this day is already recorded."), "sample_date",
            entity="lab_test", record_id=other,
        )]  # fmt: skip
    return []


def _delete(record: Any) -> dict[str, Any]:
    was = snapshot(record)
    db.session.delete(record)
    return was


def _own(record: Any) -> int:
    return record.centre_id


def _own_client(record: Any) -> int:
    return record.client_id


KINDS: dict[str, Kind] = {
    "episode": Kind(TreatmentEpisode, "episode", _own, _own_client, _admission_problems,
                    _delete, void_problems=_admission_void_problems),
    "discharge": Kind(TreatmentEpisode, "episode", _own, _own_client, _discharge_problems,
                      _void_discharge, applies=lambda e: e.discharge_date is not None,
                      void_problems=_discharge_void_problems),
    "ost_enrolment": Kind(OstEnrolment, "ost_enrolment", _own, _own_client,
                          _enrolment_problems, _void_enrolment),
    "ost_exit": Kind(OstEnrolment, "ost_enrolment", _own, _own_client, _exit_problems,
                     _void_exit, applies=lambda e: e.exit_date is not None,
                     void_problems=_exit_void_problems),
    "dosing_event": Kind(DosingEvent, "dosing_event", lambda d: d.enrolment.centre_id,
                         lambda d: d.enrolment.client_id, _dosing_event_problems, _delete),
    "dose_change": Kind(DoseChange, "dose_change", lambda c: c.enrolment.centre_id,
                        lambda c: c.enrolment.client_id, _dose_change_problems, _delete),
    "lab_test": Kind(LabTest, "lab_test", _own, _own_client, _lab_test_problems, _delete),
}  # fmt: skip
