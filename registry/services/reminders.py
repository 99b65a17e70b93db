"""Reminders on the centre dashboard (docs/ost-dosing.md#reminders), audited.

Public interface::

    centre_reminders(actor: User, centre_id: int, on: date) -> Reminders

* ``missed``: OST clients with ``REMINDER_MISSED_DOSE_DAYS`` or more days without a dose;
* ``retests``: HIV and HCV tests due -- clients with an open episode recording injecting
  (TDI 2, 2.1-2.3) or an open OST enrolment here, never tested here or whose last result
  here is not positive and older than ``REMINDER_HIV_RETEST_DAYS`` / ``..._HCV_...``
  (WHO: retest people who inject drugs at least once a year);
* ``no_contact``: open episodes with no admission, dose given or test for
  ``REMINDER_NO_CONTACT_DAYS`` days (the episode's stored last contact,
  :mod:`registry.services.last_contact`).

Each list is a :class:`ReminderList`: its first :data:`SHOWN` reminders and how many there
are. A centre that does not record discharges keeps thousands of open episodes, so the
re-test and no-contact lists are counted, ordered and cut in one statement each, whatever
the number of clients (bench/request_cpu.py, "dashboard").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import Date, Integer, Select, bindparam, func, literal, select, union_all
from sqlalchemy.orm import aliased

from registry.extensions import db
from registry.models import Client, DosingEvent, LabTest, OstEnrolment, TreatmentEpisode, User
from registry.services.access import ensure_centre_access
from registry.services.audit import record_event
from registry.services.ost import GIVEN_KINDS

INJECTING_CODES = ("2", "2.1", "2.2", "2.3")
RETESTED = ("HIV", "HCV")
#: Reminders listed per list on the dashboard (the others are counted).
SHOWN = 50


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
class ReminderList:
    """The first :data:`SHOWN` reminders of a list, in order, and how many it has."""

    shown: tuple[Reminder, ...] = ()
    total: int = 0

    def __iter__(self) -> Iterator[Reminder]:
        return iter(self.shown)


@dataclass(frozen=True)
class Reminders:
    """The dashboard's three lists."""

    missed: ReminderList = field(default_factory=ReminderList)
    retests: ReminderList = field(default_factory=ReminderList)
    no_contact: ReminderList = field(default_factory=ReminderList)


def centre_reminders(actor: User, centre_id: int, on: date) -> Reminders:
    """The centre's reminders on ``on`` (audited ``read`` of the clients listed)."""
    ensure_centre_access(actor, centre_id)
    config = current_app.config
    reminders = Reminders(
        _missed(centre_id, on, config["REMINDER_MISSED_DOSE_DAYS"]),
        _retests(centre_id, on, config),
        _no_contact(centre_id, on, config["REMINDER_NO_CONTACT_DAYS"]),
    )
    lists = (reminders.missed, reminders.retests, reminders.no_contact)
    shown = sum(len(each.shown) for each in lists)
    record_event(actor, "read", "client", None, centre_id=centre_id,
                 detail=f"list=reminders n={shown}")  # fmt: skip
    return reminders


def _missed(centre_id: int, on: date, least: int) -> ReminderList:
    """Open enrolments not dosed on ``on`` whose last dose given (and its take-home days)
    covered no day of the last ``least`` days, most days first, then by client code: the
    rows of today's dosing list (:mod:`registry.services.dosing_day`) that are neither
    ``dosed`` nor covered, counted the same way, from one statement of plain rows."""
    missed = []
    for row in db.session.execute(_missed_statement(), {"centre_id": centre_id, "on": on}):
        if row.dose_date is None:  # never dosed: counted from the enrolment
            covered = row.enrolment_date - timedelta(days=1)
        else:
            covered = row.dose_date + timedelta(days=row.take_home_days - 1)
        days = (on - covered).days - 1
        if days >= least:
            missed.append(Reminder(row.client_id, row.code, "missed", row.dose_date, days))
    missed.sort(key=lambda r: (-r.days, r.code))
    return ReminderList(tuple(missed[:SHOWN]), len(missed))


@cache
def _missed_statement() -> Select:
    """Built once: per open enrolment here, its client and the last dose given before the
    day (one backward index seek), unless a dose was given on the day."""
    centre_id, on = bindparam("centre_id", type_=Integer), bindparam("on", type_=Date)
    given = DosingEvent.kind.in_(GIVEN_KINDS)
    last_id = (
        select(DosingEvent.id)
        .where(DosingEvent.enrolment_id == OstEnrolment.id, given, DosingEvent.dose_date < on)
        .order_by(DosingEvent.dose_date.desc())
        .limit(1)
        .scalar_subquery()
    )
    dosed = (
        select(DosingEvent.id)
        .where(DosingEvent.enrolment_id == OstEnrolment.id, given, DosingEvent.dose_date == on)
        .exists()
    )
    last = aliased(DosingEvent)
    return (
        select(OstEnrolment.client_id, Client.code, OstEnrolment.enrolment_date,
               last.dose_date, last.take_home_days)
        .join(Client, Client.id == OstEnrolment.client_id)
        .outerjoin(last, last.id == last_id)
        .where(OstEnrolment.centre_id == centre_id, OstEnrolment.exit_date.is_(None),
               OstEnrolment.enrolment_date <= on, ~dosed)
    )  # fmt: skip


def _retests(centre_id: int, on: date, config: dict) -> ReminderList:
    """HIV then HCV per client, by client code; one statement, the first ``SHOWN`` rows."""
    cutoffs = {f"cutoff_{test}": on - timedelta(days=config[f"REMINDER_{test}_RETEST_DAYS"])
               for test in RETESTED}  # fmt: skip
    rows = db.session.execute(_retests_statement(), {"centre_id": centre_id, **cutoffs}).all()
    shown = tuple(
        Reminder(r.client_id, r.code, r.test, r.sample_date,
                 None if r.sample_date is None else (on - r.sample_date).days)
        for r in rows
    )  # fmt: skip
    return ReminderList(shown, rows[0].total if rows else 0)


@cache
def _retests_statement() -> Select:
    """Built once (building it costs about as much as running it on a small centre)."""
    centre_id = bindparam("centre_id", type_=Integer)
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
        .subquery()
    )
    earlier = aliased(LabTest)

    def latest(test: str) -> Any:
        """The client's latest test of this kind here (the later entry on a tie)."""
        return (
            select(earlier.id)
            .where(earlier.client_id == active.c.client_id, earlier.centre_id == centre_id,
                   earlier.test == test)
            .order_by(earlier.sample_date.desc(), earlier.id.desc())
            .limit(1)
            .scalar_subquery()
            .label(test)
        )  # fmt: skip

    # one row per client with its latest test of each kind, read once for both kinds
    latest_tests = (
        select(active.c.client_id, Client.code, *(latest(test) for test in RETESTED))
        .join(Client, Client.id == active.c.client_id)
        .cte("latest_tests")
        .prefix_with("MATERIALIZED")
    )
    branches = []
    for order, test in enumerate(RETESTED):
        cutoff = bindparam(f"cutoff_{test}", type_=Date)
        branches.append(
            select(latest_tests.c.client_id, latest_tests.c.code, literal(test).label("test"),
                   literal(order).label("ord"), LabTest.sample_date)
            .outerjoin(LabTest, LabTest.id == latest_tests.c[test])
            .where(LabTest.id.is_(None)
                   | ((LabTest.result != "positive") & (LabTest.sample_date < cutoff)))
        )  # fmt: skip
    # counted apart: a window count over the rows costs a third more than counting them
    due = union_all(*branches).cte("due").prefix_with("MATERIALIZED")
    total = select(func.count()).select_from(due).scalar_subquery()
    return select(due, total.label("total")).order_by(due.c.code, due.c.ord).limit(SHOWN)


def _no_contact(centre_id: int, on: date, days: int) -> ReminderList:
    """Open episodes whose last contact here (admission, dose given, test) is older than
    ``days``, longest first; one statement, the first ``SHOWN`` rows."""
    cutoff = on - timedelta(days=days)
    params = {"centre_id": centre_id, "cutoff": cutoff}
    rows = db.session.execute(_no_contact_statement(), params).all()
    shown = tuple(
        Reminder(r.client_id, r.code, "no_contact", r.seen, (on - r.seen).days) for r in rows
    )
    return ReminderList(shown, rows[0].total if rows else 0)


@cache
def _no_contact_statement() -> Select:
    """Built once, like :func:`_retests_statement`: the first rows and the count, each a
    range of the index of the centre's open episodes by their stored last contact
    (:mod:`registry.services.last_contact`). A window count would read every row of the
    range before the limit: most of a centre's open episodes when it records no
    discharges."""
    centre_id, cutoff = bindparam("centre_id", type_=Integer), bindparam("cutoff", type_=Date)
    episode = TreatmentEpisode
    quiet = (episode.centre_id == centre_id, episode.discharge_date.is_(None),
             episode.last_contact_date < cutoff)  # fmt: skip
    total = select(func.count()).select_from(episode).where(*quiet).scalar_subquery()
    first = (
        select(episode.id, episode.client_id, episode.last_contact_date.label("seen"))
        .where(*quiet)
        .order_by(episode.last_contact_date, episode.id)
        .limit(SHOWN)
        .subquery()
    )
    return (  # the client codes of the rows shown only
        select(first.c.client_id, Client.code, first.c.seen, total.label("total"))
        .join(Client, Client.id == first.c.client_id)
        .order_by(first.c.seen, first.c.id)
    )
