"""Discharge, OST enrolment, dose visit, test result and client lookup, through HTTP."""

from __future__ import annotations

import re

import pytest

from registry.extensions import db
from registry.models import DosingEvent, LabTest, OstEnrolment, TreatmentEpisode
from tests.registry.web.conftest import assert_no_identifiers
from tests.registry.web.test_admission import error_beside

# discharge -----------------------------------------------------------------------------


def test_discharge_closes_the_episode(rnc_staff, app, rnc_records):
    url = f"/episodes/{rnc_records.episode_id}/discharge"
    response = rnc_staff.post(
        url, {"discharge_date": "2003-06-01", "discharge_reason": "completed"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/clients/{rnc_records.client_id}"
    with app.app_context():
        episode = db.session.get(TreatmentEpisode, rnc_records.episode_id)
        assert (episode.discharge_date.isoformat(), episode.discharge_reason) == (
            "2003-06-01",
            "completed",
        )


@pytest.mark.parametrize(
    ("field", "form"),
    [
        ("discharge_date", {"discharge_date": "", "discharge_reason": "completed"}),
        ("discharge_date", {"discharge_date": "2003-99-01", "discharge_reason": "completed"}),
        ("discharge_date", {"discharge_date": "2003-01-01", "discharge_reason": "completed"}),
        ("discharge_reason", {"discharge_date": "2003-06-01", "discharge_reason": ""}),
        ("discharge_reason", {"discharge_date": "2003-06-01", "discharge_reason": "bored"}),
    ],
)
def test_invalid_discharge_changes_nothing(rnc_staff, app, rnc_records, row_counts, field, form):
    before = row_counts()
    response = rnc_staff.post(f"/episodes/{rnc_records.episode_id}/discharge", form)
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), field)
    assert row_counts() == before
    with app.app_context():
        assert db.session.get(TreatmentEpisode, rnc_records.episode_id).discharge_date is None


def test_discharge_without_csrf_is_rejected(rnc_staff, app, rnc_records):
    url = f"/episodes/{rnc_records.episode_id}/discharge"
    form = {"discharge_date": "2003-06-01", "discharge_reason": "completed"}
    assert rnc_staff.post(url, form, token=False).status_code == 400
    with app.app_context():
        assert db.session.get(TreatmentEpisode, rnc_records.episode_id).discharge_date is None


# OST enrolment -------------------------------------------------------------------------


def test_enrolment_of_a_client_of_this_centre(rnc_staff, app, client_not_on_ost):
    form = {"medication": "methadone", "enrolment_date": "2003-05-10", "induction_dose_mg": "30"}
    response = rnc_staff.post(f"/clients/{client_not_on_ost}/ost/new", form)
    assert response.status_code == 302
    with app.app_context():
        enrolment = db.session.scalars(
            db.select(OstEnrolment).where(OstEnrolment.client_id == client_not_on_ost)
        ).one()
        assert enrolment.medication == "methadone"
        assert float(enrolment.induction_dose_mg) == 30


@pytest.mark.parametrize(
    ("field", "form"),
    [
        ("medication", {"medication": "", "enrolment_date": "2003-05-10"}),
        ("medication", {"medication": "heroin", "enrolment_date": "2003-05-10"}),
        ("enrolment_date", {"medication": "methadone", "enrolment_date": "tomorrow"}),
        ("induction_dose_mg", {"medication": "methadone", "enrolment_date": "2003-05-10",
                               "induction_dose_mg": "500"}),
        ("first_maintenance_date", {"medication": "methadone", "enrolment_date": "2003-05-10",
                                    "first_maintenance_date": "2003-05-01"}),
        ("transferred_from", {"medication": "methadone", "enrolment_date": "2003-05-10",
                              "transferred_from": "RNC"}),
    ],
)  # fmt: skip
def test_invalid_enrolment_saves_nothing(rnc_staff, client_not_on_ost, row_counts, field, form):
    before = row_counts()
    response = rnc_staff.post(f"/clients/{client_not_on_ost}/ost/new", form)
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), field)
    assert row_counts() == before


def test_a_client_already_on_ost_cannot_be_enrolled_again(rnc_staff, rnc_records, row_counts):
    before = row_counts()
    form = {"medication": "methadone", "enrolment_date": "2003-06-10"}
    response = rnc_staff.post(f"/clients/{rnc_records.client_id}/ost/new", form)
    assert response.status_code == 422
    assert "error-summary" in response.get_data(as_text=True)
    assert row_counts() == before


# dose visit ----------------------------------------------------------------------------


def test_dose_visit_is_recorded(rnc_staff, app, rnc_records):
    form = {"dose_date": "2003-05-08", "kind": "observed", "dose_mg": "60"}
    response = rnc_staff.post(f"/ost/{rnc_records.enrolment_id}/doses/new", form)
    assert response.status_code == 302
    with app.app_context():
        dose = db.session.scalars(db.select(DosingEvent)).one()
        assert (dose.dose_date.isoformat(), dose.kind, float(dose.dose_mg)) == (
            "2003-05-08",
            "observed",
            60.0,
        )


@pytest.mark.parametrize(
    ("field", "form"),
    [
        ("dose_date", {"dose_date": "", "kind": "observed", "dose_mg": "60"}),
        ("dose_date", {"dose_date": "2003-05-01", "kind": "observed", "dose_mg": "60"}),
        ("kind", {"dose_date": "2003-05-08", "kind": "", "dose_mg": "60"}),
        ("dose_mg", {"dose_date": "2003-05-08", "kind": "observed", "dose_mg": "sixty"}),
        ("dose_mg", {"dose_date": "2003-05-08", "kind": "observed", "dose_mg": ""}),
        ("dose_mg", {"dose_date": "2003-05-08", "kind": "observed", "dose_mg": "350"}),
        ("take_home_days", {"dose_date": "2003-05-08", "kind": "observed", "dose_mg": "60",
                            "take_home_days": "3"}),
    ],
)  # fmt: skip
def test_invalid_dose_saves_nothing(rnc_staff, rnc_records, row_counts, field, form):
    before = row_counts()
    response = rnc_staff.post(f"/ost/{rnc_records.enrolment_id}/doses/new", form)
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), field)
    assert row_counts() == before


def test_dose_visit_form_is_prefilled_with_today_and_the_current_dose(
    rnc_staff, client, rnc_records
):
    from datetime import date

    rnc_staff.post(
        f"/ost/{rnc_records.enrolment_id}/dose-changes/new",
        {
            "effective_date": "2003-05-07",
            "dose_mg": "45",
            "phase": "induction",
            "reason": "induction",
        },
    )
    before = date.today()
    html = client.get(f"/ost/{rnc_records.enrolment_id}/doses/new").get_data(as_text=True)
    days = {before, date.today()}  # two if the request ran across midnight
    assert any(f'value="{day.isoformat()}"' in html for day in days)
    assert 'name="dose_mg" type="number" value="45"' in html
    assert 'value="observed" checked' in html


def test_dose_change_and_exit(rnc_staff, app, rnc_records):
    url = f"/ost/{rnc_records.enrolment_id}"
    change = {"effective_date": "2003-05-20", "dose_mg": "80", "phase": "maintenance",
              "reason": "withdrawal", "note": "craving in the evenings"}  # fmt: skip
    assert rnc_staff.post(f"{url}/dose-changes/new", change).status_code == 302
    exit_form = {"exit_date": "2003-07-01", "exit_reason": "dropped_out"}
    assert rnc_staff.post(f"{url}/exit", exit_form).status_code == 302
    with app.app_context():
        enrolment = db.session.get(OstEnrolment, rnc_records.enrolment_id)
        assert [(float(c.dose_mg), c.phase, c.reason, c.note) for c in enrolment.dose_changes] == [
            (80.0, "maintenance", "withdrawal", "craving in the evenings")
        ]
        assert (enrolment.exit_date.isoformat(), enrolment.exit_reason) == (
            "2003-07-01",
            "dropped_out",
        )


@pytest.mark.parametrize(
    ("path", "field", "form"),
    [
        ("dose-changes/new", "effective_date", {"effective_date": "2003-01-01", "dose_mg": "80",
                                                "phase": "maintenance", "reason": "other"}),
        ("dose-changes/new", "dose_mg", {"effective_date": "2003-05-20", "dose_mg": "",
                                         "phase": "maintenance", "reason": "other"}),
        ("dose-changes/new", "phase", {"effective_date": "2003-05-20", "dose_mg": "80",
                                       "phase": "cruise", "reason": "other"}),
        ("dose-changes/new", "reason", {"effective_date": "2003-05-20", "dose_mg": "80",
                                        "phase": "maintenance"}),
        ("dose-changes/new", "reason", {"effective_date": "2003-05-20", "dose_mg": "80",
                                        "phase": "maintenance", "reason": "Иванов asked"}),
        ("dose-changes/new", "note", {"effective_date": "2003-05-20", "dose_mg": "80",
                                      "phase": "maintenance", "reason": "other",
                                      "note": "x" * 101}),
        ("exit", "exit_date", {"exit_date": "2003-01-01", "exit_reason": "completed"}),
        ("exit", "exit_reason", {"exit_date": "2003-07-01", "exit_reason": ""}),
    ],
)  # fmt: skip
def test_invalid_dose_change_or_exit_saves_nothing(
    rnc_staff, rnc_records, row_counts, path, field, form
):
    before = row_counts()
    response = rnc_staff.post(f"/ost/{rnc_records.enrolment_id}/{path}", form)
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), field)
    assert row_counts() == before


# test result ---------------------------------------------------------------------------


def test_test_result_is_recorded(rnc_staff, app, rnc_records):
    form = {"test": "HCV", "sample_date": "2003-05-09", "result": "positive"}
    response = rnc_staff.post(f"/clients/{rnc_records.client_id}/lab-tests/new", form)
    assert response.status_code == 302
    with app.app_context():
        tests = db.session.scalars(db.select(LabTest).order_by(LabTest.id)).all()
        assert [(t.test, t.result) for t in tests] == [("HIV", "negative"), ("HCV", "positive")]


@pytest.mark.parametrize(
    ("field", "form"),
    [
        ("test", {"test": "", "sample_date": "2003-05-09", "result": "positive"}),
        ("test", {"test": "HBV", "sample_date": "2003-05-09", "result": "positive"}),
        ("sample_date", {"test": "HIV", "sample_date": "2999-01-01", "result": "positive"}),
        ("sample_date", {"test": "HIV", "sample_date": "1970-01-01", "result": "positive"}),
        ("result", {"test": "HIV", "sample_date": "2003-05-09", "result": "maybe"}),
    ],
)
def test_invalid_test_result_saves_nothing(rnc_staff, rnc_records, row_counts, field, form):
    before = row_counts()
    response = rnc_staff.post(f"/clients/{rnc_records.client_id}/lab-tests/new", form)
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), field)
    assert row_counts() == before


# client lookup and page ----------------------------------------------------------------


def test_lookup_by_identifiers_opens_the_client_page(
    rnc_staff, client, rnc_records, identifiers_form
):
    response = rnc_staff.post("/clients/find", identifiers_form())
    assert response.status_code == 302
    assert response.headers["Location"] == f"/clients/{rnc_records.client_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert_no_identifiers(page)
    assert "06.05.2003" in page  # the admission, as dates are shown in Russian


def test_lookup_of_an_unknown_person_says_so(rnc_staff, identifiers_form):
    response = rnc_staff.post("/clients/find", identifiers_form(birth_date="1981-03-14"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="flash error"' in html
    assert_no_identifiers(html.replace("1981-03-14", ""))
    assert "1981-03-14" not in html


def test_lookup_validates_the_identifiers(rnc_staff, identifiers_form):
    response = rnc_staff.post("/clients/find", identifiers_form(family_name="", sex="Q"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error_beside(html, "family_name") and error_beside(html, "sex")
    assert_no_identifiers(html)


def test_staff_of_another_centre_find_nothing(auth, rnc_records, identifiers_form):
    auth.login("clinic-osh")
    response = auth.post("/clients/find", identifiers_form())
    assert response.status_code == 200
    assert 'class="flash error"' in response.get_data(as_text=True)
    for url in (
        f"/clients/{rnc_records.client_id}",
        f"/episodes/{rnc_records.episode_id}/discharge",
        f"/ost/{rnc_records.enrolment_id}/doses/new",
        f"/clients/{rnc_records.client_id}/ost/new",
        f"/clients/{rnc_records.client_id}/lab-tests/new",
    ):
        assert auth.client.get(url).status_code == 404, url


def test_another_centre_cannot_post_to_this_centres_records(auth, app, rnc_records, row_counts):
    auth.login("clinic-osh")
    before = row_counts()
    token = auth.token("/")
    posts = {
        f"/episodes/{rnc_records.episode_id}/discharge": {
            "discharge_date": "2003-06-01",
            "discharge_reason": "completed",
        },
        f"/ost/{rnc_records.enrolment_id}/doses/new": {
            "dose_date": "2003-05-08",
            "kind": "observed",
            "dose_mg": "60",
        },
        f"/clients/{rnc_records.client_id}/lab-tests/new": {
            "test": "HIV",
            "sample_date": "2003-05-09",
            "result": "positive",
        },
    }
    for url, form in posts.items():
        response = auth.client.post(url, data={**form, "csrf_token": token})
        assert response.status_code == 404, url
    assert row_counts() == before


def test_dashboard_lists_admissions_and_ost_clients_and_audits_the_read(
    rnc_staff, client, app, rnc_records
):
    from registry.models import AuditEvent

    html = client.get("/dashboard").get_data(as_text=True)
    assert f"/clients/{rnc_records.client_id}" in html
    assert f"/ost/{rnc_records.enrolment_id}/doses/new" in html
    with app.app_context():
        reads = db.session.scalars(
            db.select(AuditEvent.entity).where(AuditEvent.action == "read")
        ).all()
    assert {"episode", "ost_enrolment"} <= set(reads)


def test_the_dashboard_counts_a_long_reminder_list_and_lists_its_first_50(
    rnc_staff, client, app, registry_data, rnc_records
):
    from datetime import date, timedelta

    from registry.models import TreatmentCentre, User
    from registry.schemas import AdmissionSchema
    from registry.services.episodes import admit_client
    from tests.registry.conftest import build_admission_form

    with app.app_context():  # 52 more open episodes without contact since 2004
        actor = db.session.get(User, registry_data.users["clinic-bishkek"])
        centre = db.session.get(TreatmentCentre, registry_data.centres["RNC"])
        for i in range(52):
            birth = (date(1970, 1, 1) + timedelta(days=i)).isoformat()
            form = build_admission_form(birth_date=birth, admission_date="2004-02-01")
            admit_client(AdmissionSchema().load(form), actor=actor, centre=centre)
        db.session.commit()
    html = client.get("/dashboard").get_data(as_text=True)
    section = html[html.index('id="reminders-no-contact"') :]
    assert section[: section.index("</h3>")].endswith('<span class="muted">(53)</span>')
    assert section[: section.index("</ul>")].count("<li>") == 50


@pytest.mark.parametrize(
    ("language", "reason_label", "warning"),
    [
        ("en", "Side effects or over-sedation", "Never type names"),
        ("ru", "Побочные эффекты или избыточная седация", "Никогда не вводите имена"),
    ],
)
def test_the_dose_change_page_shows_coded_reasons_and_warns_beside_the_note(
    rnc_staff, client, rnc_records, language, reason_label, warning
):
    url = f"/ost/{rnc_records.enrolment_id}/dose-changes/new"
    change = {"effective_date": "2003-05-20", "dose_mg": "50", "phase": "maintenance",
              "reason": "side_effects", "note": "drowsy at noon"}  # fmt: skip
    assert rnc_staff.post(url, change).status_code == 302
    html = client.get(url, headers={"Accept-Language": language}).get_data(as_text=True)
    assert f'<option value="side_effects">{reason_label}</option>' in html  # the choice
    assert f"<td>{reason_label}</td><td>drowsy at noon</td>" in html  # the recorded change
    assert re.search(rf'<p class="hint warning" id="w-note">{warning}', html)
    assert 'aria-describedby="h-note w-note"' in html
