"""Dose visit messages do not contradict themselves (issue 13, item 7)."""

from __future__ import annotations

from registry.extensions import db
from registry.models import DosingEvent


def test_missed_with_the_dose_box_filled_is_saved_as_missed(rnc_staff, app, rnc_records):
    form = {"dose_date": "2003-05-08", "kind": "missed", "dose_mg": "60"}
    response = rnc_staff.post(f"/ost/{rnc_records.enrolment_id}/doses/new", form)
    assert response.status_code == 302
    with app.app_context():
        dose = db.session.scalars(db.select(DosingEvent)).one()
        assert (dose.kind, dose.dose_mg) == ("missed", 0)
