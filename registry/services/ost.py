"""Opioid substitution treatment: enrolment, dose visits, dose changes, exit (DOMAIN §4).

Public interface::

    enrol_client(client: Client, data: dict, *, actor: User, centre: TreatmentCentre)
        -> OstEnrolment          # data = OstEnrolmentSchema().load(form)
    record_dose(enrolment: OstEnrolment, data: dict, *, actor: User) -> DosingEvent
                                 # data = DoseSchema().load(form)
    change_dose(enrolment: OstEnrolment, data: dict, *, actor: User) -> DoseChange
                                 # data = DoseChangeSchema().load(form)
    exit_ost(enrolment: OstEnrolment, data: dict, *, actor: User) -> OstEnrolment
                                 # data = OstExitSchema().load(form)
    get_enrolment(enrolment_id: int, *, actor: User) -> OstEnrolment | None
    open_enrolment(client: Client) -> OstEnrolment | None       # at any site, no audit
    needs_reinduction(enrolment: OstEnrolment, on: date) -> bool
    reinduction_decision(enrolment: OstEnrolment, on: date) -> DoseChange | None
    prescribed_dose(enrolment: OstEnrolment, on: date) -> DoseChange | None
    reinduction_gap_days() -> int  # setting OST_REINDUCTION_GAP_DAYS (Kyrgyz protocol: 2)
    dose_problems / dose_change_problems / exit_problems(enrolment, data) -> [ServiceError]
        # every rule the (possibly partial) data breaks; the services raise them all at once

Re-induction (docs/ost-dosing.md): after more than ``OST_REINDUCTION_GAP_DAYS`` days
without a dose, a dose is given only on an explicit re-induction decision: a dose change
of phase ``induction`` dated after the gap began, either prescribed beforehand or made
with the dose (``reinduction_reason``). The dose is observed, at most the decision's dose,
and a decision made with the dose is at most the medication's induction limit.

Each checks access to the enrolment's centre and audits. Rule violations raise
:class:`ServiceError` with the form field: a client is on OST at one site at a time;
doses and changes fall within the enrolment, at most one dose record per day and one
dose change per date (a second raises :class:`DuplicateEntryError` naming the existing
record, to correct instead), and within the medication's limit
(:data:`registry.schemas.ost.MAX_DOSE_MG`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import (
    Client,
    DoseChange,
    DosingEvent,
    OstEnrolment,
    TreatmentCentre,
    TreatmentEpisode,
    User,
)
from registry.schemas.ost import MAX_INDUCTION_MG
from registry.services.access import ensure_centre_access
from registry.services.audit import record_event
from registry.services.entry_rules import (
    outside_enrolment,
    over_dose_limit,
    same_day_dose,
    same_day_dose_change,
    too_far_ahead,
)
from registry.services.errors import DuplicateEntryError, ServiceError, raise_all

GIVEN_KINDS = ("observed", "take_home")


def open_enrolment(client: Client) -> OstEnrolment | None:
    """The client's current enrolment at any site, if any (internal: no audit)."""
    return db.session.scalar(
        select(OstEnrolment).where(
            OstEnrolment.client_id == client.id, OstEnrolment.exit_date.is_(None)
        )
    )


def _centre_id(code: str) -> int | None:
    return db.session.scalar(select(TreatmentCentre.id).where(TreatmentCentre.code == code))


def enrolment_problems(
    client: Client, centre: TreatmentCentre, data: dict[str, Any]
) -> list[ServiceError]:
    """Every rule of an OST enrolment that ``data`` (possibly partial) breaks."""
    errors = []
    if open_enrolment(client) is not None:
        message = _l("This client is already on OST. Record the exit or transfer first.")
        errors.append(ServiceError(message))
    if data.get("transferred_from") and _centre_id(data["transferred_from"]) in (None, centre.id):
        errors.append(ServiceError(_l("Choose another site from the list."), "transferred_from"))
    if data.get("episode_id") is not None:
        episode = db.session.get(TreatmentEpisode, data["episode_id"])
        if episode is None or episode.client_id != client.id or episode.centre_id != centre.id:
            errors.append(ServiceError(_l("Choose an episode of this client here."), "episode_id"))
    return errors


def enrol_client(
    client: Client, data: dict[str, Any], *, actor: User, centre: TreatmentCentre
) -> OstEnrolment:
    """Enrol ``client`` at ``centre``; an induction dose also starts the dose series."""
    ensure_centre_access(actor, centre.id)
    raise_all(enrolment_problems(client, centre, data))
    transferred_from_id = None
    if data.get("transferred_from"):
        transferred_from_id = _centre_id(data["transferred_from"])
    enrolment = OstEnrolment(
        client_id=client.id,
        centre_id=centre.id,
        episode_id=data.get("episode_id"),
        medication=data["medication"],
        enrolment_date=data["enrolment_date"],
        induction_dose_mg=data.get("induction_dose_mg"),
        first_maintenance_date=data.get("first_maintenance_date"),
        transferred_from_id=transferred_from_id,
        created_by_id=actor.id,
    )
    db.session.add(enrolment)
    db.session.flush()
    if enrolment.induction_dose_mg:
        db.session.add(
            DoseChange(
                enrolment_id=enrolment.id,
                effective_date=enrolment.enrolment_date,
                dose_mg=enrolment.induction_dose_mg,
                phase="induction",
                reason="induction",
                prescribed_by_id=actor.id,
            )
        )
    record_event(
        actor, "create", "ost_enrolment", enrolment.id, centre_id=centre.id,
        detail=f"medication={enrolment.medication}",
    )  # fmt: skip
    return enrolment


def dose_problems(enrolment: OstEnrolment, data: dict[str, Any]) -> list[ServiceError]:
    """Every rule of a dose visit that ``data`` breaks (fields missing from it are not
    judged: a form whose schema failed asks about the valid fields)."""
    errors = outside_enrolment(enrolment, data.get("dose_date"), "dose_date")
    errors += over_dose_limit(enrolment, data.get("dose_mg"))
    already = data.get("dose_date") and same_day_dose(enrolment.id, data["dose_date"])
    if already:
        errors.append(DuplicateEntryError(
            _l("A dose is already recorded for this day."), "dose_date",
            entity="dosing_event", record_id=already,
        ))  # fmt: skip
    return errors


def record_dose(enrolment: OstEnrolment, data: dict[str, Any], *, actor: User) -> DosingEvent:
    """Record one dose visit (observed, take-home, missed or withheld).

    A dose given after a gap needs a re-induction decision (see the module docstring);
    ``data["reinduction_reason"]`` records one with the dose, as a dose change.
    """
    ensure_centre_access(actor, enrolment.centre_id)
    raise_all(dose_problems(enrolment, data))
    reinduction = None
    if data["kind"] in GIVEN_KINDS:
        reinduction = _reinduce_if_needed(enrolment, data, actor=actor)
    dose = DosingEvent(
        enrolment_id=enrolment.id,
        dose_date=data["dose_date"],
        dose_mg=data["dose_mg"],
        kind=data["kind"],
        take_home_days=data.get("take_home_days") or 1,
        dispensed_by_id=actor.id,
    )
    db.session.add(dose)
    db.session.flush()
    detail = f"enrolment={enrolment.id} kind={dose.kind}"
    if reinduction is not None:
        detail += f" reinduction={reinduction.id}"
    record_event(
        actor, "create", "dosing_event", dose.id, centre_id=enrolment.centre_id, detail=detail
    )
    return dose


def _reinduce_if_needed(
    enrolment: OstEnrolment, data: dict[str, Any], *, actor: User
) -> DoseChange | None:
    """The re-induction decision a dose after a gap rests on (``None`` without a gap).

    Refuses the dose (a :class:`ServiceError`) without a decision, as take-home, or above
    the decision's dose; a decision given with the dose becomes an induction dose change.
    """
    day, mg = data["dose_date"], data["dose_mg"]
    reason = data.get("reinduction_reason")
    if not reason and not needs_reinduction(enrolment, day):
        return None
    if data["kind"] != "observed":
        raise ServiceError(
            _l("A re-induction dose is given under observation: choose Observed."), "kind"
        )
    if reason:
        limit = MAX_INDUCTION_MG[enrolment.medication]
        if mg > limit:
            raise ServiceError(
                _l("A re-induction dose is at most %(n)s mg (the induction limit).", n=limit),
                "dose_mg",
            )
        decision = DoseChange(
            enrolment_id=enrolment.id, effective_date=day, dose_mg=mg, phase="induction",
            reason=reason, note=None, prescribed_by_id=actor.id,
        )  # fmt: skip
        db.session.add(decision)
        db.session.flush()
        record_event(
            actor, "create", "dose_change", decision.id, centre_id=enrolment.centre_id,
            detail=f"enrolment={enrolment.id} phase=induction reason={reason} reinduction=1",
        )  # fmt: skip
        return decision
    decision = reinduction_decision(enrolment, day)
    if decision is None:
        raise ServiceError(
            _l(
                "More than %(n)s days without a dose: record the re-induction decision "
                "(dose and reason) before giving a dose.",
                n=reinduction_gap_days(),
            ),
            "reinduction_reason",
        )
    if mg > decision.dose_mg:
        raise ServiceError(
            _l("After the gap, at most the re-induction dose of %(n)s mg.",
               n=format(decision.dose_mg.normalize(), "f")),
            "dose_mg",
        )  # fmt: skip
    return decision


def dose_change_problems(enrolment: OstEnrolment, data: dict[str, Any]) -> list[ServiceError]:
    """Every rule of a dose change that ``data`` (possibly partial) breaks."""
    if not enrolment.is_open:
        return [ServiceError(_l("This client has left OST at this site."))]
    day = data.get("effective_date")
    errors = outside_enrolment(enrolment, day, "effective_date") + too_far_ahead(day)
    errors += over_dose_limit(enrolment, data.get("dose_mg"))
    existing = day is not None and same_day_dose_change(enrolment.id, day)
    if existing:
        errors.append(DuplicateEntryError(
            _l("A dose change from this date is already recorded."), "effective_date",
            entity="dose_change", record_id=existing,
        ))  # fmt: skip
    return errors


def change_dose(enrolment: OstEnrolment, data: dict[str, Any], *, actor: User) -> DoseChange:
    """Prescribe a new dose from ``data["effective_date"]`` (today, earlier, or scheduled
    up to ``DOSE_CHANGE_SCHEDULE_DAYS`` ahead)."""
    ensure_centre_access(actor, enrolment.centre_id)
    raise_all(dose_change_problems(enrolment, data))
    change = DoseChange(
        enrolment_id=enrolment.id,
        effective_date=data["effective_date"],
        dose_mg=data["dose_mg"],
        phase=data["phase"],
        reason=data["reason"],
        note=data.get("note"),
        prescribed_by_id=actor.id,
    )
    db.session.add(change)
    db.session.flush()
    record_event(
        actor, "create", "dose_change", change.id, centre_id=enrolment.centre_id,
        detail=f"enrolment={enrolment.id} phase={change.phase} reason={change.reason}",
    )  # fmt: skip
    return change


def exit_problems(enrolment: OstEnrolment, data: dict[str, Any]) -> list[ServiceError]:
    """Every rule of an exit from OST that ``data`` (possibly partial) breaks."""
    if not enrolment.is_open:
        return [ServiceError(_l("This client has already left OST at this site."))]
    day = data.get("exit_date")
    if day is None:
        return []
    if day < enrolment.enrolment_date:
        return [ServiceError(_l("Cannot be before the enrolment date."), "exit_date")]
    last_dose = db.session.scalar(
        select(func.max(DosingEvent.dose_date)).where(DosingEvent.enrolment_id == enrolment.id)
    )
    if last_dose is not None and day < last_dose:
        return [ServiceError(_l("Cannot be before the last recorded dose."), "exit_date")]
    return []


def exit_ost(enrolment: OstEnrolment, data: dict[str, Any], *, actor: User) -> OstEnrolment:
    """Close the enrolment on ``data["exit_date"]`` for ``data["exit_reason"]``."""
    ensure_centre_access(actor, enrolment.centre_id)
    raise_all(exit_problems(enrolment, data))
    enrolment.exit_date = data["exit_date"]
    enrolment.exit_reason = data["exit_reason"]
    db.session.flush()
    record_event(
        actor, "update", "ost_enrolment", enrolment.id, centre_id=enrolment.centre_id,
        detail=f"exit_reason={enrolment.exit_reason}",
    )  # fmt: skip
    return enrolment


def get_enrolment(enrolment_id: int, *, actor: User) -> OstEnrolment | None:
    """The enrolment with this id if the actor may see its centre (audited ``read``)."""
    enrolment = db.session.get(OstEnrolment, enrolment_id)
    if enrolment is None:
        return None
    ensure_centre_access(actor, enrolment.centre_id)
    record_event(actor, "read", "ost_enrolment", enrolment.id, centre_id=enrolment.centre_id)
    return enrolment


def reinduction_gap_days() -> int:
    """Days without a dose beyond which a dose needs re-induction (a setting)."""
    return int(current_app.config["OST_REINDUCTION_GAP_DAYS"])


def covered_until(enrolment: OstEnrolment, on: date) -> date:
    """The last day before ``on`` covered by a dose given (a take-home dose covers
    ``take_home_days`` days); the day before enrolment if none was given."""
    given = db.session.execute(
        select(DosingEvent.dose_date, DosingEvent.take_home_days)
        .where(
            DosingEvent.enrolment_id == enrolment.id,
            DosingEvent.kind.in_(GIVEN_KINDS),
            DosingEvent.dose_date < on,
        )
        .order_by(DosingEvent.dose_date.desc())
        .limit(1)
    ).first()
    if given is None:
        return enrolment.enrolment_date - timedelta(days=1)
    return given.dose_date + timedelta(days=(given.take_home_days or 1) - 1)


def gap_needs_reinduction(last_covered: date, on: date) -> bool:
    """True if the days strictly between ``last_covered`` and ``on`` exceed the limit."""
    return (on - last_covered).days - 1 > reinduction_gap_days()


def needs_reinduction(enrolment: OstEnrolment, on: date) -> bool:
    """True if more than ``OST_REINDUCTION_GAP_DAYS`` days without a dose precede ``on``.

    A take-home dose covers ``take_home_days`` days. With no dose given yet, the gap
    counts from the enrolment date.
    """
    return gap_needs_reinduction(covered_until(enrolment, on), on)


def reinduction_decision(enrolment: OstEnrolment, on: date) -> DoseChange | None:
    """The latest induction dose change dated after the gap before ``on`` began, if any."""
    start = covered_until(enrolment, on)
    return db.session.scalar(
        select(DoseChange)
        .where(
            DoseChange.enrolment_id == enrolment.id,
            DoseChange.phase == "induction",
            DoseChange.effective_date > start,
            DoseChange.effective_date <= on,
        )
        .order_by(DoseChange.effective_date.desc(), DoseChange.id.desc())
        .limit(1)
    )


def prescribed_dose(enrolment: OstEnrolment, on: date) -> DoseChange | None:
    """The dose change in force on ``on``: the latest with ``effective_date <= on``
    (the later entry on a tie); changes scheduled after ``on`` do not count."""
    return db.session.scalar(
        select(DoseChange)
        .where(DoseChange.enrolment_id == enrolment.id, DoseChange.effective_date <= on)
        .order_by(DoseChange.effective_date.desc(), DoseChange.id.desc())
        .limit(1)
    )
