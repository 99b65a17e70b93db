"""Correction and void pages over HTTP: the centre that made a record corrects it, other
centres and roles cannot; second entries of the same thing are refused with a link to
correct the existing one."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    DoseChange,
    DosingEvent,
    LabTest,
    RecordAmendment,
    TreatmentEpisode,
    User,
)
from registry.schemas.amendments import ADMISSION_FIXED, VoidSchema
from registry.services.access import AccessDenied
from registry.services.amendments import void_record
from tests.registry.conftest import build_admission_form

HIV_NEGATIVE = {"test": "HIV", "sample_date": "2003-05-07", "result": "negative"}


def lab_test_id(app, rnc_records) -> int:
    with app.app_context():
        return db.session.scalar(
            select(LabTest.id).where(LabTest.client_id == rnc_records.client_id)
        )


def test_a_second_result_of_the_same_test_and_day_links_to_the_existing_one(
    app, rnc_staff, rnc_records, row_counts
):
    before = row_counts()
    path = f"/clients/{rnc_records.client_id}/lab-tests/new"
    response = rnc_staff.post(path, {**HIV_NEGATIVE, "result": "positive"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    existing = lab_test_id(app, rnc_records)
    assert f'href="/records/lab_test/{existing}/correct"' in page
    assert row_counts() == before


def test_a_second_dose_change_of_the_same_date_links_to_the_existing_one(
    app, rnc_staff, rnc_records, row_counts
):
    path = f"/ost/{rnc_records.enrolment_id}/dose-changes/new"
    form = {"effective_date": "2003-05-10", "dose_mg": "40", "phase": "maintenance",
            "reason": "withdrawal"}  # fmt: skip
    assert rnc_staff.post(path, form).status_code == 302
    before = row_counts()
    response = rnc_staff.post(path, {**form, "dose_mg": "45"})
    assert response.status_code == 422
    with app.app_context():
        existing = db.session.scalar(select(DoseChange.id).where(DoseChange.dose_mg == 40))
    assert f'href="/records/dose_change/{existing}/correct"' in response.get_data(as_text=True)
    assert row_counts() == before


def test_a_dose_on_a_day_already_dosed_links_to_the_existing_one(rnc_staff, rnc_records):
    path = f"/ost/{rnc_records.enrolment_id}/doses/new"
    form = {"dose_date": "2003-05-08", "kind": "observed", "dose_mg": "30"}
    assert rnc_staff.post(path, form).status_code == 302
    response = rnc_staff.post(path, {**form, "dose_mg": "35"})
    assert response.status_code == 422
    assert re.search(r'href="/records/dosing_event/\d+/correct"', response.get_data(as_text=True))


def test_correcting_an_admission_item_through_the_form(app, rnc_staff, rnc_records):
    path = f"/records/episode/{rnc_records.episode_id}/correct"
    page = rnc_staff.client.get(path).get_data(as_text=True)
    assert 'name="age_first_use" type="number" value="19"' in page  # the recorded values
    recorded = build_admission_form(programme="ost")
    form = {k: v for k, v in recorded.items() if k not in ADMISSION_FIXED and v != ""}
    response = rnc_staff.post(path, {**form, "education": "4",
                                     "amendment_reason": "typing_error"})  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(TreatmentEpisode, rnc_records.episode_id).education == "4"
        amendment = db.session.scalar(select(RecordAmendment))
        assert amendment.changes == {"education": ["3", "4"]}
    client_page = rnc_staff.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "amend-history" in client_page


def test_a_correction_needs_a_reason(app, rnc_staff, rnc_records, row_counts):
    before = row_counts()
    path = f"/records/lab_test/{lab_test_id(app, rnc_records)}/correct"
    response = rnc_staff.post(path, {**HIV_NEGATIVE, "result": "positive"})
    assert response.status_code == 422
    assert 'id="e-amendment_reason"' in response.get_data(as_text=True)
    assert row_counts() == before


def test_voiding_a_wrong_lab_result(app, rnc_staff, rnc_records):
    test_id = lab_test_id(app, rnc_records)
    response = rnc_staff.post(f"/records/lab_test/{test_id}/void",
                              {"amendment_reason": "wrong_client"})  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(LabTest, test_id) is None
    page = rnc_staff.client.get(f"/clients/{rnc_records.client_id}").get_data(as_text=True)
    assert "amend-history" in page  # the voided result is listed, with why


@pytest.mark.parametrize("action", ["correct", "void"])
@pytest.mark.parametrize("entity", ["episode", "ost_enrolment", "lab_test"])
def test_another_centre_gets_404_and_changes_nothing(
    app, auth, rnc_records, row_counts, entity, action
):
    record_id = {"episode": rnc_records.episode_id, "ost_enrolment": rnc_records.enrolment_id,
                 "lab_test": lab_test_id(app, rnc_records)}[entity]  # fmt: skip
    auth.login("clinic-osh")
    before = row_counts()
    path = f"/records/{entity}/{record_id}/{action}"
    assert auth.client.get(path).status_code == 404
    response = auth.post(path, {"amendment_reason": "wrong_client"}, form_path="/dashboard")
    assert response.status_code == 404
    assert row_counts() == before


def test_another_centre_cannot_void_through_the_service(app, rnc_records, registry_data):
    with app.app_context():
        osh = db.session.get(User, registry_data.users["clinic-osh"])
        episode = db.session.get(TreatmentEpisode, rnc_records.episode_id)
        with pytest.raises(AccessDenied):
            void_record("episode", episode, VoidSchema().load({"amendment_reason": "duplicate"}),
                        actor=osh)  # fmt: skip
        db.session.rollback()
        assert db.session.get(TreatmentEpisode, rnc_records.episode_id) is not None


def test_an_unknown_record_kind_is_404(rnc_staff, rnc_records):
    assert rnc_staff.client.get(f"/records/client/{rnc_records.client_id}/void").status_code == 404


def test_every_kind_has_its_correction_and_void_pages_in_both_languages(
    app, rnc_staff, rnc_records
):
    enrolment = f"/ost/{rnc_records.enrolment_id}"
    dose = {"dose_date": "2003-05-08", "kind": "observed", "dose_mg": "30"}
    change = {"effective_date": "2003-05-09", "dose_mg": "40", "phase": "maintenance",
              "reason": "withdrawal"}  # fmt: skip
    assert rnc_staff.post(f"{enrolment}/doses/new", dose).status_code == 302
    assert rnc_staff.post(f"{enrolment}/dose-changes/new", change).status_code == 302
    assert (
        rnc_staff.post(
            f"{enrolment}/exit", {"exit_date": "2003-05-10", "exit_reason": "dropped_out"}
        ).status_code
        == 302
    )
    assert (
        rnc_staff.post(
            f"/episodes/{rnc_records.episode_id}/discharge",
            {"discharge_date": "2003-05-11", "discharge_reason": "completed"},
        ).status_code
        == 302
    )
    with app.app_context():
        ids = {
            "episode": rnc_records.episode_id, "discharge": rnc_records.episode_id,
            "ost_enrolment": rnc_records.enrolment_id, "ost_exit": rnc_records.enrolment_id,
            "dosing_event": db.session.scalar(select(DosingEvent.id)),
            "dose_change": db.session.scalar(
                select(DoseChange.id).where(DoseChange.phase == "maintenance")),
            "lab_test": db.session.scalar(select(LabTest.id)),
        }  # fmt: skip
    client_page = rnc_staff.client.get(f"/clients/{rnc_records.client_id}").get_data(as_text=True)
    for language in ("ru", "en"):
        rnc_staff.client.post(
            "/language", data={"locale": language, "csrf_token": rnc_staff.token("/dashboard")}
        )
        for entity, record_id in ids.items():
            for action in ("correct", "void"):
                path = f"/records/{entity}/{record_id}/{action}"
                assert f'href="{path}"' in client_page
                response = rnc_staff.client.get(path)
                assert response.status_code == 200, (language, path)
                button = {("ru", "correct"): "Сохранить исправление",
                          ("en", "correct"): "Save the correction",
                          ("ru", "void"): "Аннулировать запись",
                          ("en", "void"): "Void the record"}[(language, action)]  # fmt: skip
                assert button in response.get_data(as_text=True), (language, path)
