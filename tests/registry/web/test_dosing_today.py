"""Today's dosing list and the re-induction decision, through HTTP (both backends)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import Client, DoseChange, DosingEvent, OstEnrolment, User
from registry.schemas import DoseChangeSchema, DoseSchema
from registry.services.ost import change_dose, record_dose

TODAY = date.today()


@pytest.fixture
def on_methadone(app, rnc_staff, rnc_records):
    """``on_methadone(last)``: RNC's client prescribed 80 mg, dosed daily from 10 days ago
    up to ``last`` days ago; returns the enrolment id."""

    def prepare(last: int) -> int:
        with app.app_context():
            staff = db.session.scalar(select(User).where(User.username == "clinic-bishkek"))
            enrolment = db.session.get(OstEnrolment, rnc_records.enrolment_id)
            start = (TODAY - timedelta(days=10)).isoformat()
            # enrolled in 2003 and never dosed: the first dose is a re-induction
            first = {"dose_date": start, "kind": "observed", "dose_mg": "30",
                     "reinduction_reason": "missed_doses"}  # fmt: skip
            record_dose(enrolment, DoseSchema().load(first), actor=staff)
            change_dose(enrolment, DoseChangeSchema().load({
                "effective_date": (TODAY - timedelta(days=9)).isoformat(), "dose_mg": "80",
                "phase": "maintenance",
                "reason": "clinical_review"}), actor=staff)  # fmt: skip
            for days in range(9, last - 1, -1):
                day = (TODAY - timedelta(days=days)).isoformat()
                data = DoseSchema().load({"dose_date": day, "kind": "observed", "dose_mg": "80"})
                record_dose(enrolment, data, actor=staff)
            db.session.commit()
        return rnc_records.enrolment_id

    return prepare


def doses_today(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(DosingEvent.kind, DosingEvent.dose_mg).where(DosingEvent.dose_date == TODAY)
        )
        return [(kind, format(mg.normalize(), "f")) for kind, mg in rows]


def test_after_a_gap_the_form_does_not_prefill_the_maintenance_dose(
    client, on_methadone, rnc_staff, app
):
    enrolment_id = on_methadone(last=4)
    url = f"/ost/{enrolment_id}/doses/new"
    html = client.get(url).get_data(as_text=True)
    assert 'name="dose_mg" type="number" value=""' in html
    assert 'name="reinduction_reason"' in html
    form = {"dose_date": TODAY.isoformat(), "kind": "observed", "dose_mg": "80"}
    response = rnc_staff.post(url, form)
    assert response.status_code == 422
    assert 'id="e-reinduction_reason"' in response.get_data(as_text=True)
    assert doses_today(app) == []
    response = rnc_staff.post(url, {**form, "dose_mg": "30", "reinduction_reason": "missed_doses"})
    assert response.status_code == 302
    assert doses_today(app) == [("observed", "30")]
    with app.app_context():
        latest = db.session.scalars(select(DoseChange).order_by(DoseChange.id.desc())).first()
        assert (latest.phase, latest.reason, latest.effective_date) == (
            "induction", "missed_doses", TODAY,
        )  # fmt: skip


def test_without_a_gap_the_form_prefills_todays_prescribed_dose(client, on_methadone):
    enrolment_id = on_methadone(last=1)
    html = client.get(f"/ost/{enrolment_id}/doses/new").get_data(as_text=True)
    assert 'name="dose_mg" type="number" value="80"' in html
    assert 'name="reinduction_reason"' not in html


def test_a_client_is_dosed_from_the_list_in_one_action(client, on_methadone, app):
    enrolment_id = on_methadone(last=1)
    html = client.get("/ost/today").get_data(as_text=True)
    with app.app_context():
        code = db.session.scalar(select(Client.code))[:8]
    assert code in html and 'data-status="due"' in html
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        f"/ost/today/{enrolment_id}", data={"kind": "observed", "csrf_token": token}
    )
    assert response.status_code == 303
    assert doses_today(app) == [("observed", "80")]
    html = client.get("/ost/today").get_data(as_text=True)
    assert 'data-status="dosed"' in html


def test_a_row_posted_with_an_unknown_field_records_nothing(client, on_methadone, app):
    enrolment_id = on_methadone(last=1)
    html = client.get("/ost/today").get_data(as_text=True)
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    data = {"kind": "observed", "dose_mg": "200", "csrf_token": token}
    response = client.post(f"/ost/today/{enrolment_id}", data=data)
    assert response.status_code == 422
    assert "dose_mg" in response.get_data(as_text=True)
    assert doses_today(app) == []


def test_a_missed_dose_is_shown_as_missed(client, on_methadone, app):
    enrolment_id = on_methadone(last=1)
    html = client.get("/ost/today").get_data(as_text=True)
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post(f"/ost/today/{enrolment_id}", data={"kind": "missed", "csrf_token": token})
    assert doses_today(app) == [("missed", "0")]
    html = client.get(f"/ost/{enrolment_id}/doses/new").get_data(as_text=True)
    recent = html.split("<tbody>", 1)[1]
    assert "0 mg" not in recent and ">0<" not in recent


def test_the_list_refuses_a_dose_after_a_gap_beside_the_row(client, on_methadone, app):
    enrolment_id = on_methadone(last=4)
    html = client.get("/ost/today").get_data(as_text=True)
    assert "web.record_dose" not in html and f"/ost/{enrolment_id}/doses/new" in html
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        f"/ost/today/{enrolment_id}", data={"kind": "observed", "csrf_token": token}
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)
    assert doses_today(app) == []


def test_another_centre_neither_sees_nor_doses_from_this_list(
    app, registry_data, on_methadone, auth, client
):
    enrolment_id = on_methadone(last=1)
    with app.app_context():
        code = db.session.scalar(select(Client.code))[:8]
    auth.logout()
    auth.login("clinic-osh")
    html = client.get("/ost/today").get_data(as_text=True)
    assert code not in html
    token = auth.token("/ost/today")
    response = client.post(
        f"/ost/today/{enrolment_id}", data={"kind": "observed", "csrf_token": token}
    )
    assert response.status_code == 404
    assert doses_today(app) == []
