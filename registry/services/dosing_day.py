"""Today's dosing list of a centre: every open OST enrolment with today's state.

Public interface::

    dosing_list(actor: User, centre_id: int, on: date) -> list[DosingRow]   # audited read
    dose_from_list(actor: User, enrolment: OstEnrolment, kind: str,
                   take_home_days: str | None, on: date) -> DosingEvent

A row carries the dose prescribed for the day (the latest change dated on or before it),
what was recorded that day, the last dose given before it, the take-home doses due back,
and whether the gap needs re-induction (:mod:`registry.services.ost`). The list costs a
fixed number of queries whatever the number of clients (bench/dosing_list.py).
``dose_from_list`` records the row's one action with nothing typed: the dose is the
prescribed one, so a gap that needs re-induction sends staff to the dose form instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from registry.extensions import db
from registry.models import DoseChange, DosingEvent, OstEnrolment, User
from registry.schemas import DoseSchema
from registry.services.access import ensure_centre_access
from registry.services.audit import record_event
from registry.services.errors import ServiceError
from registry.services.ost import GIVEN_KINDS, gap_needs_reinduction, record_dose


@dataclass(frozen=True)
class DosingRow:
    """One client on OST at the centre, as the dosing window needs them on ``day``."""

    enrolment: OstEnrolment
    day: date
    prescribed: DoseChange | None
    scheduled: DoseChange | None  # the next change dated after the day, if any
    recorded: DosingEvent | None  # the day's record (dosed, missed, withheld)
    last_given: DosingEvent | None  # the last dose given before the day
    needs_reinduction: bool
    decision: DoseChange | None  # an induction change dated after the gap began

    @cached_property
    def covered_until(self) -> date:
        """The last day before ``day`` covered by a dose (the day before enrolment if none)."""
        if self.last_given is None:
            return self.enrolment.enrolment_date - timedelta(days=1)
        return self.last_given.dose_date + timedelta(days=self.last_given.take_home_days - 1)

    @cached_property
    def status(self) -> str:
        """``dosed``, ``missed``, ``withheld``, ``take_home`` (covered) or ``due``."""
        if self.recorded is not None:
            return "dosed" if self.recorded.kind in GIVEN_KINDS else self.recorded.kind
        if self.covered_until >= self.day:
            return "take_home"
        return "due"

    @property
    def days_since_last_dose(self) -> int | None:
        """Whole days from the last dose given before the day (``None`` if never dosed)."""
        return None if self.last_given is None else (self.day - self.last_given.dose_date).days

    @property
    def take_home_due_back(self) -> date | None:
        """The day a client with take-home doses is due back (from yesterday on)."""
        last = self.last_given
        if last is None or last.kind != "take_home":
            return None
        due = self.covered_until + timedelta(days=1)
        return due if due >= self.day - timedelta(days=1) else None

    @property
    def quick_dose_mg(self) -> Decimal | None:
        """The dose the row's button gives: the prescribed one, or the re-induction dose
        after a gap when one was prescribed; ``None`` when staff must decide."""
        if self.needs_reinduction:
            return self.decision.dose_mg if self.decision is not None else None
        return self.prescribed.dose_mg if self.prescribed is not None else None


def dosing_list(actor: User, centre_id: int, on: date) -> list[DosingRow]:
    """The centre's open enrolments on ``on``, by client code (audited ``read``)."""
    ensure_centre_access(actor, centre_id)
    enrolments = list(
        db.session.scalars(
            select(OstEnrolment)
            .options(joinedload(OstEnrolment.client))
            .where(
                OstEnrolment.centre_id == centre_id,
                OstEnrolment.exit_date.is_(None),
                OstEnrolment.enrolment_date <= on,
            )
        )
    )
    enrolments.sort(key=lambda e: e.client.code)
    open_here = select(OstEnrolment.id).where(
        OstEnrolment.centre_id == centre_id, OstEnrolment.exit_date.is_(None)
    )
    recorded = {
        d.enrolment_id: d
        for d in db.session.scalars(
            select(DosingEvent).where(
                DosingEvent.enrolment_id.in_(open_here), DosingEvent.dose_date == on
            )
        )
    }
    # the last dose given before the day: one backward index seek per enrolment
    last_given_id = (
        select(DosingEvent.id)
        .where(
            DosingEvent.enrolment_id == OstEnrolment.id,
            DosingEvent.kind.in_(GIVEN_KINDS),
            DosingEvent.dose_date < on,
        )
        .order_by(DosingEvent.dose_date.desc())
        .limit(1)
        .scalar_subquery()
    )
    last_given = {
        d.enrolment_id: d
        for d in db.session.scalars(
            select(DosingEvent).where(
                DosingEvent.id.in_(
                    select(last_given_id).where(
                        OstEnrolment.centre_id == centre_id, OstEnrolment.exit_date.is_(None)
                    )
                )
            )
        )
    }
    changes: dict[int, list[DoseChange]] = {}
    for change in db.session.scalars(_changes_needed(centre_id, on)):
        changes.setdefault(change.enrolment_id, []).append(change)
    rows = [_row(e, on, recorded, last_given, changes.get(e.id, [])) for e in enrolments]
    record_event(
        actor, "read", "ost_enrolment", None, centre_id=centre_id,
        detail=f"list=dosing_today n={len(rows)}",
    )  # fmt: skip
    return rows


def _changes_needed(centre_id: int, on: date) -> Any:
    """The dose changes the rows can show: per open enrolment here, the one in force on
    ``on`` and every change after the last dose given before it (scheduled ones,
    re-induction decisions after a gap; see :func:`_row`), not years of earlier ones."""
    in_force = (
        select(DoseChange.id)
        .where(DoseChange.enrolment_id == OstEnrolment.id, DoseChange.effective_date <= on)
        .order_by(DoseChange.effective_date.desc(), DoseChange.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    last_given = (
        select(func.max(DosingEvent.dose_date))
        .where(
            DosingEvent.enrolment_id == OstEnrolment.id,
            DosingEvent.kind.in_(GIVEN_KINDS),
            DosingEvent.dose_date < on,
        )
        .scalar_subquery()
    )
    bounds = (
        select(OstEnrolment.id, in_force.label("in_force"), last_given.label("given"))
        .where(OstEnrolment.centre_id == centre_id, OstEnrolment.exit_date.is_(None))
        .cte("bounds")
        .prefix_with("MATERIALIZED")  # once per enrolment, not once per change
    )
    return (
        select(DoseChange)
        .join(bounds, DoseChange.enrolment_id == bounds.c.id)
        .where(
            or_(
                DoseChange.id == bounds.c.in_force,
                DoseChange.effective_date > func.coalesce(bounds.c.given, date(1, 1, 1)),
            )
        )
        .order_by(DoseChange.effective_date, DoseChange.id)
    )


def _row(
    enrolment: OstEnrolment,
    on: date,
    recorded: dict[int, DosingEvent],
    last_given: dict[int, DosingEvent],
    changes: list[DoseChange],
) -> DosingRow:
    past = [c for c in changes if c.effective_date <= on]
    ahead = [c for c in changes if c.effective_date > on]
    row = DosingRow(
        enrolment, on, past[-1] if past else None, ahead[0] if ahead else None,
        recorded.get(enrolment.id), last_given.get(enrolment.id), False, None,
    )  # fmt: skip
    start = row.covered_until
    if not gap_needs_reinduction(start, on):
        return row
    decisions = [c for c in past if c.phase == "induction" and c.effective_date > start]
    return DosingRow(
        enrolment, on, row.prescribed, row.scheduled, row.recorded, row.last_given, True,
        decisions[-1] if decisions else None,
    )  # fmt: skip


def dose_from_list(
    actor: User, enrolment: OstEnrolment, kind: str, take_home_days: str | None, on: date
) -> DosingEvent:
    """Record ``kind`` for ``on`` from the list: the prescribed dose, or 0 for a miss.

    The form goes through :class:`DoseSchema` like the dose form's; a dose given needs a
    prescribed dose (and, after a gap, a prescribed re-induction decision: the service
    refuses it otherwise).
    """
    form = {"dose_date": on.isoformat(), "kind": kind}
    if take_home_days:
        form["take_home_days"] = take_home_days
    if kind in GIVEN_KINDS:
        rows = _single_row(actor, enrolment, on)
        if rows.quick_dose_mg is None:
            raise ServiceError(
                _no_dose_message(rows.needs_reinduction), "reinduction_reason"
                if rows.needs_reinduction else "dose_mg",
            )  # fmt: skip
        form["dose_mg"] = format(rows.quick_dose_mg.normalize(), "f")
    return record_dose(enrolment, DoseSchema().load(form), actor=actor)


def _single_row(actor: User, enrolment: OstEnrolment, on: date) -> DosingRow:
    ensure_centre_access(actor, enrolment.centre_id)
    changes = list(
        db.session.scalars(
            select(DoseChange)
            .where(DoseChange.enrolment_id == enrolment.id)
            .order_by(DoseChange.effective_date, DoseChange.id)
        )
    )
    last = db.session.scalar(
        select(DosingEvent)
        .where(
            DosingEvent.enrolment_id == enrolment.id,
            DosingEvent.kind.in_(GIVEN_KINDS),
            DosingEvent.dose_date < on,
        )
        .order_by(DosingEvent.dose_date.desc())
        .limit(1)
    )
    return _row(enrolment, on, {}, {enrolment.id: last} if last else {}, changes)


def _no_dose_message(gap: bool) -> str:
    from flask_babel import gettext as _

    if gap:
        return _("A gap over the protocol limit: open the dose form to decide on re-induction.")
    return _("No dose is prescribed: record a dose change first.")
