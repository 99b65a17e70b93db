"""An OST enrolment's induction dose and the dose change that prescribes it, kept as one.

Public interface::

    induction_change(enrolment) -> DoseChange | None   # the prescription enrolment made
    induction_problems(enrolment, values) -> [ServiceError]   # a correction's effect on it
    follow_induction(enrolment, change, amendment, *, actor)  # after the correction

Enrolling a client with an induction dose also records a dose change (phase and reason
``induction``, effective from the enrolment date: :func:`registry.services.ost.enrol_client`),
and it is that dose change the dosing list dispenses by. A correction of the enrolment's
induction dose or date must therefore carry over to it, or the quick-dose button would
keep dispensing the dose just corrected as a typing error. The dose change follows the
correction and gets an amendment of its own (the enrolment's reason and note; a void's
reason is "other"), so its history shows the change too: a new dose or date is corrected
there, a removed induction dose voids it, and an induction dose given only now is
prescribed from the enrolment date.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db
from registry.models import DoseChange, OstEnrolment, RecordAmendment, User
from registry.services.audit import record_event
from registry.services.entry_rules import same_day_dose_change
from registry.services.errors import DuplicateEntryError, ServiceError
from registry.services.record_snapshot import plain, snapshot

INDUCTION = "induction"


def induction_change(enrolment: OstEnrolment) -> DoseChange | None:
    """The induction dose change the enrolment recorded (from its recorded date), if any."""
    return db.session.scalar(
        select(DoseChange)
        .where(
            DoseChange.enrolment_id == enrolment.id,
            DoseChange.reason == INDUCTION,
            DoseChange.effective_date == enrolment.enrolment_date,
        )
        .order_by(DoseChange.id)
        .limit(1)
    )


def induction_problems(enrolment: OstEnrolment, values: dict[str, Any]) -> list[ServiceError]:
    """A corrected enrolment date must leave the moved induction change alone on its day."""
    start, change = values.get("enrolment_date"), induction_change(enrolment)
    dose = values.get("induction_dose_mg", enrolment.induction_dose_mg)
    if start is None or start == enrolment.enrolment_date or (change is None and dose is None):
        return []
    other = same_day_dose_change(enrolment.id, start, besides=change.id if change else None)
    if not other:
        return []
    return [
        DuplicateEntryError(
            _l(
                "A dose change from this date is already recorded: the induction dose "
                "would be prescribed twice from one day."
            ),  # fmt: skip
            "enrolment_date",
            entity="dose_change",
            record_id=other,
        )
    ]


def follow_induction(
    enrolment: OstEnrolment,
    change: DoseChange | None,
    amendment: RecordAmendment,
    *,
    actor: User,
) -> None:
    """Carry the corrected induction dose and date over to ``change`` (found before the
    correction by :func:`induction_change`), with an amendment of its own."""
    dose, start = enrolment.induction_dose_mg, enrolment.enrolment_date
    if change is None:
        if dose:
            _prescribe(enrolment, actor)
        return
    if not dose:
        _amend(change, "void", snapshot(change), amendment, actor)
        db.session.delete(change)
        return
    moved = {
        name: [plain(getattr(change, name)), plain(value)]
        for name, value in (("dose_mg", dose), ("effective_date", start))
        if getattr(change, name) != value
    }
    if moved:
        change.dose_mg, change.effective_date = dose, start
        _amend(change, "correct", moved, amendment, actor)


def _prescribe(enrolment: OstEnrolment, actor: User) -> None:
    change = DoseChange(
        enrolment_id=enrolment.id,
        effective_date=enrolment.enrolment_date,
        dose_mg=enrolment.induction_dose_mg,
        phase=INDUCTION,
        reason=INDUCTION,
        prescribed_by_id=actor.id,
    )
    db.session.add(change)
    db.session.flush()
    record_event(actor, "create", "dose_change", change.id, centre_id=enrolment.centre_id,
                 detail="induction dose given by a correction of the enrolment")  # fmt: skip


def _amend(
    change: DoseChange, action: str, changes: dict, amendment: RecordAmendment, actor: User
) -> None:
    follow = RecordAmendment(
        entity="dose_change", record_id=change.id, action=action,
        client_id=amendment.client_id, centre_id=amendment.centre_id,
        reason=amendment.reason if action == "correct" else "other",
        note=amendment.note, changes=changes, user_id=actor.id, username=actor.username,
    )  # fmt: skip
    db.session.add(follow)
    db.session.flush()
    fields = ",".join(sorted(changes)) if action == "correct" else ""
    record_event(
        actor, "update" if action == "correct" else "delete", "dose_change", change.id,
        centre_id=amendment.centre_id,
        detail=f"{action} dose_change follows amendment={amendment.id} amendment={follow.id}"
        + (f" fields={fields}" if fields else ""),
    )  # fmt: skip
