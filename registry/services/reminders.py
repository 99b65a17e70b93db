"""Reminders on the centre dashboard (docs/ost-dosing.md#reminders), audited.

Public interface::

    centre_reminders(actor: User, centre_id: int, on: date) -> Reminders

* ``missed``: OST clients with ``REMINDER_MISSED_DOSE_DAYS`` or more days without a dose;
* ``retests``: HIV and HCV tests due -- clients with an open episode recording injecting
  (TDI 2, 2.1-2.3) or an open OST enrolment here, never tested here or whose last result
  here is not positive and older than ``REMINDER_HIV_RETEST_DAYS`` / ``..._HCV_...``
  (WHO: retest people who inject drugs at least once a year);
* ``no_contact``: open episodes with no admission, dose given or test for
  ``REMINDER_NO_CONTACT_DAYS`` days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Client, DosingEvent, LabTest, OstEnrolment, TreatmentEpisode, User
from registry.services.access import ensure_centre_access
from registry.services.audit import record_event
from registry.services.dosing_day import dosing_list
from registry.services.ost import GIVEN_KINDS

INJECTING_CODES = ("2", "2.1", "2.2", "2.3")
RETESTED = ("HIV", "HCV")


@dataclass(frozen=True)
class Reminder:
    """One client to act on: ``what`` is a code (``missed``, ``HIV``, ``HCV``,
    ``no_contact``) and ``since`` the date the reminder counts from (``None``: never)."""

    client_id: int
    code: str
    what: str
    since: date | None
    days: int | None = None


@dataclass(frozen=True)
class Reminders:
    """The dashboard's three lists."""

    missed: list[Reminder] = field(default_factory=list)
    retests: list[Reminder] = field(default_factory=list)
    no_contact: list[Reminder] = field(default_factory=list)


def centre_reminders(actor: User, centre_id: int, on: date) -> Reminders:
    """The centre's reminders on ``on`` (audited ``read`` of the clients listed)."""
    ensure_centre_access(actor, centre_id)
    config = current_app.config
    missed_days = config["REMINDER_MISSED_DOSE_DAYS"]
    missed = []
    for row in dosing_list(actor, centre_id, on):
        days = (on - row.covered_until).days - 1
        if row.status != "dosed" and days >= missed_days:
            since = row.last_given.dose_date if row.last_given else None
            missed.append(Reminder(row.enrolment.client_id, row.enrolment.client.code,
                                   "missed", since, days))  # fmt: skip
    reminders = Reminders(
        sorted(missed, key=lambda r: -(r.days or 0)),
        _retests(centre_id, on, config),
        _no_contact(centre_id, on, config["REMINDER_NO_CONTACT_DAYS"]),
    )
    shown = len(reminders.missed) + len(reminders.retests) + len(reminders.no_contact)
    record_event(actor, "read", "client", None, centre_id=centre_id,
                 detail=f"list=reminders n={shown}")  # fmt: skip
    return reminders


def _retests(centre_id: int, on: date, config: dict) -> list[Reminder]:
    active = (
        select(TreatmentEpisode.client_id)
        .where(
            TreatmentEpisode.centre_id == centre_id,
            TreatmentEpisode.discharge_date.is_(None),
            TreatmentEpisode.injecting.in_(INJECTING_CODES),
        )
        .union(
            select(OstEnrolment.client_id).where(
                OstEnrolment.centre_id == centre_id, OstEnrolment.exit_date.is_(None)
            )
        )
    )
    rows = db.session.execute(select(Client.id, Client.code).where(Client.id.in_(active))).all()
    codes = dict(rows)
    latest: dict[tuple[int, str], LabTest] = {}
    for test in db.session.scalars(
        select(LabTest)
        .where(LabTest.centre_id == centre_id, LabTest.test.in_(RETESTED),
               LabTest.client_id.in_(list(codes)))
        .order_by(LabTest.sample_date, LabTest.id)
    ):  # fmt: skip
        latest[(test.client_id, test.test)] = test
    intervals = {"HIV": config["REMINDER_HIV_RETEST_DAYS"],
                 "HCV": config["REMINDER_HCV_RETEST_DAYS"]}  # fmt: skip
    due = []
    for client_id, code in sorted(codes.items(), key=lambda item: item[1]):
        for test in RETESTED:
            last = latest.get((client_id, test))
            if last is None:
                due.append(Reminder(client_id, code, test, None))
            elif last.result != "positive" and last.sample_date < on - timedelta(
                days=intervals[test]
            ):
                due.append(Reminder(client_id, code, test, last.sample_date,
                                    (on - last.sample_date).days))  # fmt: skip
    return due


def _no_contact(centre_id: int, on: date, days: int) -> list[Reminder]:
    cutoff = on - timedelta(days=days)
    episodes = list(
        db.session.execute(
            select(TreatmentEpisode.client_id, Client.code, TreatmentEpisode.admission_date)
            .join(Client, Client.id == TreatmentEpisode.client_id)
            .where(
                TreatmentEpisode.centre_id == centre_id,
                TreatmentEpisode.discharge_date.is_(None),
                TreatmentEpisode.admission_date < cutoff,
            )
        )
    )
    ids = [e.client_id for e in episodes]
    last_dose = dict(
        db.session.execute(
            select(OstEnrolment.client_id, func.max(DosingEvent.dose_date))
            .join(DosingEvent, DosingEvent.enrolment_id == OstEnrolment.id)
            .where(OstEnrolment.centre_id == centre_id, OstEnrolment.client_id.in_(ids),
                   DosingEvent.kind.in_(GIVEN_KINDS))
            .group_by(OstEnrolment.client_id)
        ).all()
    )  # fmt: skip
    last_test = dict(
        db.session.execute(
            select(LabTest.client_id, func.max(LabTest.sample_date))
            .where(LabTest.centre_id == centre_id, LabTest.client_id.in_(ids))
            .group_by(LabTest.client_id)
        ).all()
    )
    stale = []
    for client_id, code, admitted in episodes:
        seen = max(d for d in (admitted, last_dose.get(client_id), last_test.get(client_id)) if d)
        if seen < cutoff:
            stale.append(Reminder(client_id, code, "no_contact", seen, (on - seen).days))
    return sorted(stale, key=lambda r: -(r.days or 0))
