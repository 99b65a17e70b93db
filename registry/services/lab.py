"""Laboratory test results (HIV, HCV, TB).

Public interface::

    record_test(client: Client, data: dict, *, actor: User, centre: TreatmentCentre) -> LabTest
        # data = LabTestSchema().load(form)

Checks the actor's access to ``centre`` and audits a ``create``; a sample date before
the client's birth year raises :class:`ServiceError` on ``sample_date``, and a second
result of the same test on the same day at the centre raises
:class:`DuplicateEntryError` naming the existing one (correct it instead).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from registry.extensions import db
from registry.models import Client, LabTest, TreatmentCentre, User
from registry.services.access import ensure_centre_access
from registry.services.audit import record_event
from registry.services.entry_rules import same_day_lab_test
from registry.services.errors import DuplicateEntryError, ServiceError, raise_all


def test_problems(
    client: Client, centre: TreatmentCentre, data: dict[str, Any]
) -> list[ServiceError]:
    """Every rule of a test result that ``data`` (possibly partial) breaks."""
    day = data.get("sample_date")
    if day is None:
        return []
    if day.year < client.birth_year:
        return [ServiceError(_l("Cannot be before the client's birth."), "sample_date")]
    existing = data.get("test") and same_day_lab_test(client.id, centre.id, data["test"], day)
    if existing:
        return [DuplicateEntryError(
            _l("A result of this test on this day is already recorded."), "sample_date",
            entity="lab_test", record_id=existing,
        )]  # fmt: skip
    return []


def record_test(
    client: Client, data: dict[str, Any], *, actor: User, centre: TreatmentCentre
) -> LabTest:
    """Add one test result of ``client`` taken at ``centre``."""
    ensure_centre_access(actor, centre.id)
    raise_all(test_problems(client, centre, data))
    test = LabTest(
        client_id=client.id,
        centre_id=centre.id,
        test=data["test"],
        sample_date=data["sample_date"],
        result=data["result"],
        created_by_id=actor.id,
    )
    db.session.add(test)
    db.session.flush()
    record_event(
        actor, "create", "lab_test", test.id, centre_id=centre.id, detail=f"test={test.test}"
    )
    return test
