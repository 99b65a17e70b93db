"""Read-only queries behind the clinic pages, each scoped to one centre and audited.

Every function first checks that ``actor`` may use ``centre_id``'s records
(:func:`registry.services.access.ensure_centre_access`) and records an audit ``read``
event for the client-level data it returns; like every service it never commits (the
view does). A record of another centre is simply not found (``None``), so pages answer
404 without saying whether it exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased, joinedload

from registry.extensions import db
from registry.models import (
    Client,
    DoseChange,
    DosingEvent,
    LabTest,
    OrgUnit,
    OstEnrolment,
    TreatmentCentre,
    TreatmentEpisode,
    User,
)
from registry.models.geography import REGION
from registry.services.access import ensure_centre_access
from registry.services.audit import record_event

#: How many rows the dashboard lists.
RECENT_LIMIT = 25
#: Doses of an enrolment per page: the client page shows the latest page, the enrolment's
#: dose history (``/ost/<id>/doses``) all of them page by page. A year of daily doses
#: was a 266 KB client page with two links per dose.
DOSES_PER_PAGE = 30


@dataclass(frozen=True)
class DosePage:
    """One page of an enrolment's doses, latest first, and how many there are."""

    doses: list[DosingEvent]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class OstRow:
    """A client on OST at the centre with the last recorded dose."""

    enrolment: OstEnrolment
    last_dose: DosingEvent | None


@dataclass(frozen=True)
class ClientRecords:
    """Everything one centre holds about one client."""

    client: Client
    episodes: list[TreatmentEpisode]
    enrolments: list[OstEnrolment]
    lab_tests: list[LabTest]
    #: the latest doses of each enrolment, by enrolment id
    doses: dict[int, DosePage] = field(default_factory=dict)


def recent_admissions(
    actor: User, centre_id: int, limit: int = RECENT_LIMIT
) -> list[TreatmentEpisode]:
    """The centre's latest admissions, newest first."""
    ensure_centre_access(actor, centre_id)
    episodes = list(
        db.session.scalars(
            select(TreatmentEpisode)
            .options(joinedload(TreatmentEpisode.client))
            .where(TreatmentEpisode.centre_id == centre_id)
            .order_by(TreatmentEpisode.admission_date.desc(), TreatmentEpisode.id.desc())
            .limit(limit)
        )
    )
    record_event(
        actor, "read", "episode", None, centre_id=centre_id, detail=f"list=recent n={len(episodes)}"
    )
    return episodes


def current_ost_clients(actor: User, centre_id: int) -> list[OstRow]:
    """The centre's open OST enrolments with each one's last dose, latest enrolment first."""
    ensure_centre_access(actor, centre_id)
    enrolments = list(
        db.session.scalars(
            select(OstEnrolment)
            .options(joinedload(OstEnrolment.client))
            .where(OstEnrolment.centre_id == centre_id, OstEnrolment.exit_date.is_(None))
            .order_by(OstEnrolment.enrolment_date.desc(), OstEnrolment.id.desc())
        )
    )
    # the last dose of each: two index seeks per enrolment (grouping would read every dose)
    last_date = (
        select(func.max(DosingEvent.dose_date))
        .where(DosingEvent.enrolment_id == OstEnrolment.id)
        .scalar_subquery()
    )
    last_dose = aliased(DosingEvent)
    last_doses = {
        dose.enrolment_id: dose
        for dose in db.session.scalars(
            select(last_dose)
            .select_from(OstEnrolment)
            .join(
                last_dose,
                (last_dose.enrolment_id == OstEnrolment.id) & (last_dose.dose_date == last_date),
            )
            .where(OstEnrolment.id.in_([e.id for e in enrolments]))
        )
    }
    record_event(
        actor,
        "read",
        "ost_enrolment",
        None,
        centre_id=centre_id,
        detail=f"list=current n={len(enrolments)}",
    )
    return [OstRow(enrolment, last_doses.get(enrolment.id)) for enrolment in enrolments]


def has_records_at(client_id: int, centre_id: int) -> bool:
    """True if the centre holds an episode, an OST enrolment or a test of the client."""
    checks = (
        exists().where(
            TreatmentEpisode.client_id == client_id, TreatmentEpisode.centre_id == centre_id
        ),
        exists().where(OstEnrolment.client_id == client_id, OstEnrolment.centre_id == centre_id),
        exists().where(LabTest.client_id == client_id, LabTest.centre_id == centre_id),
    )
    return any(db.session.scalar(select(check)) for check in checks)


def client_records(actor: User, client_id: int, centre_id: int) -> ClientRecords | None:
    """The client's episodes, OST enrolments and tests at the centre (``None`` if none)."""
    ensure_centre_access(actor, centre_id)
    client = db.session.get(Client, client_id)
    if client is None or not has_records_at(client_id, centre_id):
        return None
    episodes = _at_centre(TreatmentEpisode, client_id, centre_id, TreatmentEpisode.admission_date)
    enrolments = _at_centre(OstEnrolment, client_id, centre_id, OstEnrolment.enrolment_date)
    lab_tests = _at_centre(LabTest, client_id, centre_id, LabTest.sample_date)
    record_event(actor, "read", "client", client.id, centre_id=centre_id)
    doses = {enrolment.id: dose_page(enrolment.id) for enrolment in enrolments}
    return ClientRecords(client, episodes, enrolments, lab_tests, doses)


def dose_page(enrolment_id: int, page: int = 1, size: int = DOSES_PER_PAGE) -> DosePage:
    """Page ``page`` of the enrolment's doses, latest first (empty past the last page).

    Reads records of an enrolment the caller has already been given (no access check,
    no audit), like :func:`current_doses`.
    """
    of_enrolment = DosingEvent.enrolment_id == enrolment_id
    total = db.session.scalar(select(func.count()).select_from(DosingEvent).where(of_enrolment))
    doses = db.session.scalars(
        select(DosingEvent)
        .where(of_enrolment)
        .order_by(DosingEvent.dose_date.desc(), DosingEvent.id.desc())
        .offset((max(page, 1) - 1) * size)
        .limit(size)
    )
    return DosePage(list(doses), total or 0, page, max(1, -(-(total or 0) // size)))


def _at_centre(model: Any, client_id: int, centre_id: int, order: Any) -> list[Any]:
    return list(
        db.session.scalars(
            select(model)
            .where(model.client_id == client_id, model.centre_id == centre_id)
            .order_by(order.desc(), model.id.desc())
        )
    )


def episode_at_centre(actor: User, episode_id: int, centre_id: int) -> TreatmentEpisode | None:
    """The episode if it belongs to the centre, else ``None``."""
    ensure_centre_access(actor, centre_id)
    episode = db.session.get(TreatmentEpisode, episode_id)
    if episode is None or episode.centre_id != centre_id:
        return None
    record_event(actor, "read", "episode", episode.id, centre_id=centre_id)
    return episode


def enrolment_at_centre(actor: User, enrolment_id: int, centre_id: int) -> OstEnrolment | None:
    """The OST enrolment if it belongs to the centre, else ``None``."""
    ensure_centre_access(actor, centre_id)
    enrolment = db.session.get(OstEnrolment, enrolment_id)
    if enrolment is None or enrolment.centre_id != centre_id:
        return None
    record_event(actor, "read", "ost_enrolment", enrolment.id, centre_id=centre_id)
    return enrolment


def region_choices(locale: str) -> dict[str, str]:
    """Regions (level 2 org units) as ``{code: name}`` in ``locale``, sorted by name.

    Not client-level data, so not audited.
    """
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.level == REGION))
    names = {
        unit.code: (unit.name_ru if locale == "ru" and unit.name_ru else unit.name)
        for unit in units
    }
    return dict(sorted(names.items(), key=lambda item: item[1]))


def client_at_centre(actor: User, client_id: int, centre_id: int) -> Client | None:
    """The client if the centre holds records of them (audited ``read``), else ``None``."""
    ensure_centre_access(actor, centre_id)
    client = db.session.get(Client, client_id)
    if client is None or not has_records_at(client_id, centre_id):
        return None
    record_event(actor, "read", "client", client.id, centre_id=centre_id)
    return client


def open_episodes(client_id: int, centre_id: int) -> list[TreatmentEpisode]:
    """The client's open episodes at the centre, latest first (for the OST enrolment form)."""
    return list(
        db.session.scalars(
            select(TreatmentEpisode)
            .where(
                TreatmentEpisode.client_id == client_id,
                TreatmentEpisode.centre_id == centre_id,
                TreatmentEpisode.discharge_date.is_(None),
            )
            .order_by(TreatmentEpisode.admission_date.desc())
        )
    )


def other_centre_choices(centre_id: int) -> dict[str, str]:
    """Every other centre as ``{code: name}`` (for transfers; not client-level data)."""
    centres = db.session.scalars(
        select(TreatmentCentre)
        .where(TreatmentCentre.id != centre_id)
        .order_by(TreatmentCentre.name)
    )
    return {centre.code: centre.name for centre in centres}


def current_doses(enrolments: list[OstEnrolment], on: Any = None) -> dict[int, DoseChange]:
    """The prescribed dose in force ``on`` (default today) of each enrolment, by its id.

    The latest dose change effective on or before the day (the latest recorded of one
    day). Reads records the caller has already been given (no access check, no audit).
    """
    on = on or date.today()
    doses: dict[int, DoseChange] = {}
    for enrolment in enrolments:
        changes = [c for c in enrolment.dose_changes if c.effective_date <= on]
        if changes:
            doses[enrolment.id] = max(changes, key=lambda c: (c.effective_date, c.id))
    return doses
