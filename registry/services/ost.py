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
    REINDUCTION_GAP_DAYS = 2     # Kyrgyz 2015 protocol: a longer gap needs re-induction

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
from registry.schemas.ost import MAX_DOSE_MG
from registry.services.access import ensure_centre_access
from registry.services.amendment_rules import same_day_dose, same_day_dose_change
from registry.services.audit import record_event
from registry.services.errors import DuplicateEntryError, ServiceError

REINDUCTION_GAP_DAYS = 2
GIVEN_KINDS = ("observed", "take_home")


def open_enrolment(client: Client) -> OstEnrolment | None:
    """The client's current enrolment at any site, if any (internal: no audit)."""
    return db.session.scalar(
        select(OstEnrolment).where(
            OstEnrolment.client_id == client.id, OstEnrolment.exit_date.is_(None)
        )
    )


def enrol_client(
    client: Client, data: dict[str, Any], *, actor: User, centre: TreatmentCentre
) -> OstEnrolment:
    """Enrol ``client`` at ``centre``; an induction dose also starts the dose series."""
    ensure_centre_access(actor, centre.id)
    if open_enrolment(client) is not None:
        raise ServiceError(_l("This client is already on OST. Record the exit or transfer first."))
    transferred_from_id = None
    if data.get("transferred_from"):
        source = db.session.scalar(
            select(TreatmentCentre).where(TreatmentCentre.code == data["transferred_from"])
        )
        if source is None or source.id == centre.id:
            raise ServiceError(_l("Choose another site from the list."), "transferred_from")
        transferred_from_id = source.id
    if data.get("episode_id") is not None:
        episode = db.session.get(TreatmentEpisode, data["episode_id"])
        if episode is None or episode.client_id != client.id or episode.centre_id != centre.id:
            raise ServiceError(_l("Choose an episode of this client here."), "episode_id")
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


def _check_within(enrolment: OstEnrolment, day: date, field: str) -> None:
    """``day`` must fall between enrolment and exit (or today, if still open)."""
    if day < enrolment.enrolment_date:
        raise ServiceError(_l("Cannot be before the enrolment date."), field)
    if enrolment.exit_date is not None and day > enrolment.exit_date:
        raise ServiceError(_l("Cannot be after the exit from OST."), field)


def _check_dose(enrolment: OstEnrolment, dose: Any) -> None:
    limit = MAX_DOSE_MG[enrolment.medication]
    if dose is not None and dose > limit:
        raise ServiceError(
            _l("Above the limit of %(n)s mg for this medication.", n=limit), "dose_mg"
        )


def record_dose(enrolment: OstEnrolment, data: dict[str, Any], *, actor: User) -> DosingEvent:
    """Record one dose visit (observed, take-home, missed or withheld)."""
    ensure_centre_access(actor, enrolment.centre_id)
    _check_within(enrolment, data["dose_date"], "dose_date")
    _check_dose(enrolment, data["dose_mg"])
    already = same_day_dose(enrolment.id, data["dose_date"])
    if already is not None:
        raise DuplicateEntryError(
            _l("A dose is already recorded for this day."), "dose_date",
            entity="dosing_event", record_id=already,
        )  # fmt: skip
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
    record_event(
        actor, "create", "dosing_event", dose.id, centre_id=enrolment.centre_id,
        detail=f"enrolment={enrolment.id} kind={dose.kind}",
    )  # fmt: skip
    return dose


def change_dose(enrolment: OstEnrolment, data: dict[str, Any], *, actor: User) -> DoseChange:
    """Prescribe a new dose from ``data["effective_date"]``."""
    ensure_centre_access(actor, enrolment.centre_id)
    if not enrolment.is_open:
        raise ServiceError(_l("This client has left OST at this site."))
    _check_within(enrolment, data["effective_date"], "effective_date")
    _check_dose(enrolment, data["dose_mg"])
    existing = same_day_dose_change(enrolment.id, data["effective_date"])
    if existing is not None:
        raise DuplicateEntryError(
            _l("A dose change from this date is already recorded."), "effective_date",
            entity="dose_change", record_id=existing,
        )  # fmt: skip
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


def exit_ost(enrolment: OstEnrolment, data: dict[str, Any], *, actor: User) -> OstEnrolment:
    """Close the enrolment on ``data["exit_date"]`` for ``data["exit_reason"]``."""
    ensure_centre_access(actor, enrolment.centre_id)
    if not enrolment.is_open:
        raise ServiceError(_l("This client has already left OST at this site."))
    if data["exit_date"] < enrolment.enrolment_date:
        raise ServiceError(_l("Cannot be before the enrolment date."), "exit_date")
    last_dose = db.session.scalar(
        select(func.max(DosingEvent.dose_date)).where(DosingEvent.enrolment_id == enrolment.id)
    )
    if last_dose is not None and data["exit_date"] < last_dose:
        raise ServiceError(_l("Cannot be before the last recorded dose."), "exit_date")
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


def needs_reinduction(enrolment: OstEnrolment, on: date) -> bool:
    """True if more than :data:`REINDUCTION_GAP_DAYS` days without a dose precede ``on``.

    A take-home dose covers ``take_home_days`` days. With no dose given yet, the gap
    counts from the enrolment date.
    """
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
        covered_until = enrolment.enrolment_date - timedelta(days=1)
    else:
        covered_until = given.dose_date + timedelta(days=(given.take_home_days or 1) - 1)
    return (on - covered_until).days - 1 > REINDUCTION_GAP_DAYS
