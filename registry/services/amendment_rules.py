"""What each kind of record allows when it is corrected or voided.

Public interface::

    KINDS[entity] -> Kind      # entity: a key of registry.codes.AMENDABLE_RECORDS
    Kind.model, Kind.audit_entity
    Kind.applies(record) -> bool          # e.g. a discharge needs a discharged episode
    Kind.centre_id(record) -> int; Kind.client_id(record) -> int
    Kind.check(record, values) -> None    # ServiceError / DuplicateEntryError
    Kind.void(record) -> dict             # removes (or reopens) it; returns what it was
    same_day_lab_test(client_id, centre_id, test, day, *, besides=None) -> int | None
    same_day_dose(enrolment_id, day, *, besides=None) -> int | None
    same_day_dose_change(enrolment_id, day, *, besides=None) -> int | None

A corrected value obeys the rules a new record obeys (the entry schema has already
checked it alone; ``check`` checks it against the other records). Voiding an admission,
a dose, a dose change or a test deletes its row (its values go to the amendment);
voiding an OST enrolment deletes its doses and dose changes with it; voiding a discharge
or an OST exit reopens the episode or enrolment, where nothing later is in the way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, or_, select

from registry.extensions import db
from registry.models import DoseChange, DosingEvent, LabTest, OstEnrolment, TreatmentEpisode
from registry.schemas.clients import MIN_AGE_AT_ADMISSION
from registry.schemas.ost import MAX_DOSE_MG
from registry.services.errors import DuplicateEntryError, ServiceError


def plain(value: Any) -> Any:
    """``value`` as JSON keeps it: dates in ISO form, doses as exact decimal text."""
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal
        return format(value.normalize(), "f")
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def snapshot(record: Any, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The record's column values (or just ``names``), as JSON keeps them."""
    columns = names or tuple(c.key for c in inspect(record).mapper.column_attrs)
    return {name: plain(getattr(record, name)) for name in columns}


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


@dataclass(frozen=True)
class Kind:
    """The rules of one kind of record (see the module docstring)."""

    model: type
    audit_entity: str
    centre_id: Callable[[Any], int]
    client_id: Callable[[Any], int]
    check: Callable[[Any, dict[str, Any]], None]
    void: Callable[[Any], dict[str, Any]]
    applies: Callable[[Any], bool] = lambda record: True


# --- admissions and discharges ---------------------------------------------------


def _check_admission(episode: TreatmentEpisode, values: dict[str, Any]) -> None:
    """The TDI items against the admission's age and year (the form has no birth date)."""
    age = episode.age_at_admission
    if values.get("age_first_use") is not None and values["age_first_use"] > age:
        raise ServiceError(
            _l("Age at first use cannot be above the age at admission."), "age_first_use"
        )
    if values.get("age_first_injection") is not None and values["age_first_injection"] > age:
        raise ServiceError(_l("Cannot be above the age at admission."), "age_first_injection")
    year = values.get("ost_first_year")
    if year is not None and year > episode.admission_date.year:
        raise ServiceError(_l("Cannot be after the admission year."), "ost_first_year")
    if year is not None and year < episode.client.birth_year + MIN_AGE_AT_ADMISSION:
        raise ServiceError(_l("Too early for this date of birth."), "ost_first_year")


def _void_admission(episode: TreatmentEpisode) -> dict[str, Any]:
    linked = select(OstEnrolment.id).where(OstEnrolment.episode_id == episode.id)
    if db.session.scalar(linked.limit(1)) is not None:
        raise ServiceError(_l("An OST enrolment is linked to this admission: void it first."))
    was = snapshot(episode)
    db.session.delete(episode)
    return was


def _same_programme(episode: TreatmentEpisode) -> Any:
    return select(TreatmentEpisode.id).where(
        TreatmentEpisode.client_id == episode.client_id,
        TreatmentEpisode.centre_id == episode.centre_id,
        TreatmentEpisode.programme == episode.programme,
        TreatmentEpisode.id != episode.id,
    )


def _check_discharge(episode: TreatmentEpisode, values: dict[str, Any]) -> None:
    day = values["discharge_date"]
    if day < episode.admission_date:
        raise ServiceError(_l("Cannot be before the admission date."), "discharge_date")
    later = _same_programme(episode).where(
        TreatmentEpisode.admission_date >= episode.admission_date,
        TreatmentEpisode.admission_date < day,
    )
    if db.session.scalar(later.limit(1)) is not None:
        raise ServiceError(
            _l("A later episode of this programme here starts before this date."),
            "discharge_date",
        )


def _void_discharge(episode: TreatmentEpisode) -> dict[str, Any]:
    in_the_way = _same_programme(episode).where(
        or_(
            TreatmentEpisode.discharge_date.is_(None),
            TreatmentEpisode.admission_date >= episode.admission_date,
        )
    )
    if db.session.scalar(in_the_way.limit(1)) is not None:
        raise ServiceError(
            _l("The client has a later or open episode of this programme here: "
               "correct the discharge date instead.")
        )  # fmt: skip
    was = snapshot(episode, ("discharge_date", "discharge_reason"))
    episode.discharge_date = None
    episode.discharge_reason = None
    return was


# --- OST ------------------------------------------------------------------------


def _check_within(enrolment: OstEnrolment, day: date, field: str) -> None:
    if day < enrolment.enrolment_date:
        raise ServiceError(_l("Cannot be before the enrolment date."), field)
    if enrolment.exit_date is not None and day > enrolment.exit_date:
        raise ServiceError(_l("Cannot be after the exit from OST."), field)


def _check_dose_limit(enrolment: OstEnrolment, dose: Any, medication: str | None = None) -> None:
    limit = MAX_DOSE_MG[medication or enrolment.medication]
    if dose is not None and dose > limit:
        raise ServiceError(
            _l("Above the limit of %(n)s mg for this medication.", n=limit), "dose_mg"
        )


def _check_enrolment(enrolment: OstEnrolment, values: dict[str, Any]) -> None:
    start, limit = values["enrolment_date"], MAX_DOSE_MG[values["medication"]]
    first = db.session.execute(
        select(func.min(DosingEvent.dose_date), func.max(DosingEvent.dose_mg)).where(
            DosingEvent.enrolment_id == enrolment.id
        )
    ).one()
    first_change = db.session.execute(
        select(func.min(DoseChange.effective_date), func.max(DoseChange.dose_mg)).where(
            DoseChange.enrolment_id == enrolment.id
        )
    ).one()
    earliest = [d for d in (first[0], first_change[0]) if d is not None]
    if earliest and start > min(earliest):
        raise ServiceError(
            _l("Cannot be after the first recorded dose or dose change."), "enrolment_date"
        )
    if enrolment.exit_date is not None and start > enrolment.exit_date:
        raise ServiceError(_l("Cannot be after the exit from OST."), "enrolment_date")
    highest = [d for d in (first[1], first_change[1]) if d is not None]
    if highest and max(highest) > limit:
        raise ServiceError(
            _l("Recorded doses are above the limit of %(n)s mg for this medication.", n=limit),
            "medication",
        )


def _void_enrolment(enrolment: OstEnrolment) -> dict[str, Any]:
    was = snapshot(enrolment)
    was["doses"] = [snapshot(dose) for dose in enrolment.doses]
    was["dose_changes"] = [snapshot(change) for change in enrolment.dose_changes]
    for child in (*enrolment.doses, *enrolment.dose_changes):
        db.session.delete(child)
    db.session.flush()
    db.session.delete(enrolment)
    return was


def _check_exit(enrolment: OstEnrolment, values: dict[str, Any]) -> None:
    day = values["exit_date"]
    if day < enrolment.enrolment_date:
        raise ServiceError(_l("Cannot be before the enrolment date."), "exit_date")
    last_dose = db.session.scalar(
        select(func.max(DosingEvent.dose_date)).where(DosingEvent.enrolment_id == enrolment.id)
    )
    if last_dose is not None and day < last_dose:
        raise ServiceError(_l("Cannot be before the last recorded dose."), "exit_date")


def _void_exit(enrolment: OstEnrolment) -> dict[str, Any]:
    other = select(OstEnrolment.id).where(
        OstEnrolment.client_id == enrolment.client_id,
        OstEnrolment.id != enrolment.id,
        or_(OstEnrolment.exit_date.is_(None),
            OstEnrolment.enrolment_date >= enrolment.enrolment_date),
    )  # fmt: skip
    if db.session.scalar(other.limit(1)) is not None:
        raise ServiceError(
            _l("The client has a later or current OST enrolment: "
               "correct the exit date instead.")
        )  # fmt: skip
    was = snapshot(enrolment, ("exit_date", "exit_reason"))
    enrolment.exit_date = None
    enrolment.exit_reason = None
    return was


def _check_dosing_event(dose: DosingEvent, values: dict[str, Any]) -> None:
    enrolment = dose.enrolment
    _check_within(enrolment, values["dose_date"], "dose_date")
    _check_dose_limit(enrolment, values["dose_mg"])
    other = same_day_dose(enrolment.id, values["dose_date"], besides=dose.id)
    if other is not None:
        raise DuplicateEntryError(
            _l("A dose is already recorded for this day."), "dose_date",
            entity="dosing_event", record_id=other,
        )  # fmt: skip


def _check_dose_change(change: DoseChange, values: dict[str, Any]) -> None:
    enrolment = change.enrolment
    _check_within(enrolment, values["effective_date"], "effective_date")
    _check_dose_limit(enrolment, values["dose_mg"])
    other = same_day_dose_change(enrolment.id, values["effective_date"], besides=change.id)
    if other is not None:
        raise DuplicateEntryError(
            _l("A dose change from this date is already recorded."), "effective_date",
            entity="dose_change", record_id=other,
        )  # fmt: skip


# --- laboratory -------------------------------------------------------------------


def _check_lab_test(test: LabTest, values: dict[str, Any]) -> None:
    if values["sample_date"].year < test.client.birth_year:
        raise ServiceError(_l("Cannot be before the client's birth."), "sample_date")
    other = same_day_lab_test(
        test.client_id, test.centre_id, values["test"], values["sample_date"], besides=test.id
    )
    if other is not None:
        raise DuplicateEntryError(
            _l("A result of this test on this day is already recorded."), "sample_date",
            entity="lab_test", record_id=other,
        )  # fmt: skip


def _delete(record: Any) -> dict[str, Any]:
    was = snapshot(record)
    db.session.delete(record)
    return was


def _own(record: Any) -> int:
    return record.centre_id


def _own_client(record: Any) -> int:
    return record.client_id


KINDS: dict[str, Kind] = {
    "episode": Kind(TreatmentEpisode, "episode", _own, _own_client, _check_admission,
                    _void_admission),
    "discharge": Kind(TreatmentEpisode, "episode", _own, _own_client, _check_discharge,
                      _void_discharge, applies=lambda e: e.discharge_date is not None),
    "ost_enrolment": Kind(OstEnrolment, "ost_enrolment", _own, _own_client, _check_enrolment,
                          _void_enrolment),
    "ost_exit": Kind(OstEnrolment, "ost_enrolment", _own, _own_client, _check_exit, _void_exit,
                     applies=lambda e: e.exit_date is not None),
    "dosing_event": Kind(DosingEvent, "dosing_event", lambda d: d.enrolment.centre_id,
                         lambda d: d.enrolment.client_id, _check_dosing_event, _delete),
    "dose_change": Kind(DoseChange, "dose_change", lambda c: c.enrolment.centre_id,
                        lambda c: c.enrolment.client_id, _check_dose_change, _delete),
    "lab_test": Kind(LabTest, "lab_test", _own, _own_client, _check_lab_test, _delete),
}  # fmt: skip
