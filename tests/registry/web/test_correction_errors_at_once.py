"""Issue 13 item 7 for the correction and void forms: every error of a submission is
shown at once -- the schema's, the record's rules and what blocks a void side by side,
each beside its field -- and a refused submission changes nothing."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    AuditEvent,
    DoseChange,
    DosingEvent,
    LabTest,
    OstEnrolment,
    RecordAmendment,
    TreatmentEpisode,
)
from registry.schemas.amendments import ADMISSION_FIXED
from tests.registry.conftest import build_admission_form

#: Every table a correction or void writes, whole rows (so "nothing changed" is exact).
WRITTEN = (TreatmentEpisode, OstEnrolment, DosingEvent, DoseChange, LabTest, RecordAmendment)


def errors_beside(html: str) -> set[str]:
    """The fields that have a message beside them."""
    return set(re.findall(r'<p class="error" id="e-([a-z_]+)">', html))


@pytest.fixture
def database_state(app):
    """``database_state()``: every row of the amended tables, and the audited changes."""

    def state() -> dict[str, list[tuple]]:
        with app.app_context():
            rows = {
                model.__tablename__: sorted(
                    tuple(str(getattr(row, c.key)) for c in model.__table__.columns)
                    for row in db.session.scalars(select(model))
                )
                for model in WRITTEN
            }
            rows["audit_changes"] = sorted(
                (event.action, event.entity, event.entity_id)
                for event in db.session.scalars(
                    select(AuditEvent).where(AuditEvent.action.in_(("create", "update", "delete")))
                )
            )
            return rows

    return state


@pytest.fixture
def records(app, rnc_staff, rnc_records):
    """The fixture client's records of every kind at RNC, made through the forms: two
    doses (8 and 9 May 2003), a dose change (10 May), an exit from OST (10 May), a
    discharge (11 May) and a second HIV test (8 May); returns ``{entity: id}``."""
    enrolment = f"/ost/{rnc_records.enrolment_id}"
    posts = [
        (f"{enrolment}/doses/new", {"dose_date": "2003-05-08", "kind": "observed",
                                    "dose_mg": "30"}),
        (f"{enrolment}/doses/new", {"dose_date": "2003-05-09", "kind": "observed",
                                    "dose_mg": "30"}),
        (f"{enrolment}/dose-changes/new", {"effective_date": "2003-05-10", "dose_mg": "40",
                                           "phase": "maintenance", "reason": "withdrawal"}),
        (f"{enrolment}/exit", {"exit_date": "2003-05-10", "exit_reason": "dropped_out"}),
        (f"/episodes/{rnc_records.episode_id}/discharge",
         {"discharge_date": "2003-05-11", "discharge_reason": "completed"}),
        (f"/clients/{rnc_records.client_id}/lab-tests/new",
         {"test": "HIV", "sample_date": "2003-05-08", "result": "negative"}),
    ]  # fmt: skip
    for path, form in posts:
        assert rnc_staff.post(path, form).status_code == 302, path
    with app.app_context():
        doses = list(db.session.scalars(select(DosingEvent.id).order_by(DosingEvent.dose_date)))
        tests = list(db.session.scalars(select(LabTest.id).order_by(LabTest.sample_date)))
        change = db.session.scalar(select(DoseChange.id).where(DoseChange.phase == "maintenance"))
    return {
        "episode": rnc_records.episode_id, "discharge": rnc_records.episode_id,
        "ost_enrolment": rnc_records.enrolment_id, "ost_exit": rnc_records.enrolment_id,
        "first_dose": doses[0], "dosing_event": doses[-1], "dose_change": change,
        "first_lab_test": tests[0], "lab_test": tests[-1],
    }  # fmt: skip


def admission_correction(**values: str) -> dict[str, object]:
    """The admission correction form as the page posts it, with ``values``."""
    recorded = build_admission_form(programme="ost")
    form = {k: v for k, v in recorded.items() if k not in ADMISSION_FIXED and v != ""}
    return {**form, **values}


# (entity, the correction posted -- no amendment reason, so the schema fails too --,
#  the fields that must each have a message)
CORRECTIONS = [
    # a TDI item the schema refuses, and two rules the service checks against the record
    ("episode", admission_correction(education="7", age_first_use="30", age_first_injection="",
                                     injecting="2.3", ost_history="2", ost_first_year="2010"),
     {"education", "age_first_use", "ost_first_year", "amendment_reason"}),
    ("discharge", {"discharge_date": "2003-05-01", "discharge_reason": ""},
     {"discharge_date", "discharge_reason", "amendment_reason"}),
    ("ost_enrolment", {"medication": "buprenorphine", "enrolment_date": "2003-05-09",
                       "induction_dose_mg": "abc"},
     {"medication", "enrolment_date", "induction_dose_mg", "amendment_reason"}),
    ("ost_exit", {"exit_date": "2003-05-08", "exit_reason": "nowhere"},
     {"exit_date", "exit_reason", "amendment_reason"}),
    ("dosing_event", {"dose_date": "2003-05-08", "kind": "", "dose_mg": "30"},
     {"dose_date", "kind", "amendment_reason"}),
    ("dose_change", {"effective_date": "2003-05-01", "dose_mg": "40", "phase": "",
                     "reason": ""},
     {"effective_date", "phase", "reason", "amendment_reason"}),
    ("lab_test", {"test": "HIV", "sample_date": "2003-05-07", "result": ""},
     {"sample_date", "result", "amendment_reason"}),
]  # fmt: skip


@pytest.mark.parametrize(("entity", "form", "fields"), CORRECTIONS, ids=[c[0] for c in CORRECTIONS])
def test_a_correction_shows_the_schema_and_rule_errors_together(
    rnc_staff, records, database_state, entity, form, fields
):
    before = database_state()
    response = rnc_staff.post(f"/records/{entity}/{records[entity]}/correct", form)
    assert response.status_code == 422
    assert errors_beside(response.get_data(as_text=True)) >= fields
    assert database_state() == before


@pytest.mark.parametrize(
    ("entity", "form", "fields"),
    [
        # two rules of the record, each beside its field, when the schema accepts all
        ("ost_enrolment", {"medication": "buprenorphine", "enrolment_date": "2003-05-09"},
         {"medication", "enrolment_date"}),
        ("episode", admission_correction(age_first_use="30", age_first_injection="",
                                         ost_history="2", ost_first_year="2010"),
         {"age_first_use", "ost_first_year"}),
    ],
)  # fmt: skip
def test_every_rule_of_a_correction_is_reported(
    rnc_staff, records, database_state, entity, form, fields
):
    before = database_state()
    path = f"/records/{entity}/{records[entity]}/correct"
    response = rnc_staff.post(path, {**form, "amendment_reason": "typing_error"})
    assert response.status_code == 422
    assert errors_beside(response.get_data(as_text=True)) >= fields
    assert database_state() == before


@pytest.mark.parametrize(
    ("entity", "link_to"), [("dosing_event", "first_dose"), ("lab_test", "first_lab_test")]
)
def test_a_duplicate_beside_a_schema_error_still_links_to_the_existing_one(
    rnc_staff, records, entity, link_to
):
    form = dict(next(c[1] for c in CORRECTIONS if c[0] == entity))
    page = rnc_staff.post(f"/records/{entity}/{records[entity]}/correct", form)
    html = page.get_data(as_text=True)
    assert f'href="/records/{entity}/{records[link_to]}/correct"' in html


def test_a_blocked_void_and_a_missing_reason_come_together(
    rnc_staff, rnc_records, records, database_state
):
    again = {"medication": "methadone", "enrolment_date": "2003-05-12"}
    assert rnc_staff.post(f"/clients/{rnc_records.client_id}/ost/new", again).status_code == 302
    before = database_state()
    response = rnc_staff.post(f"/records/ost_exit/{records['ost_exit']}/void", {})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "amendment_reason" in errors_beside(html)
    assert "later or current OST enrolment" in html or "более позднее или текущее" in html
    assert database_state() == before


def test_nothing_changed_and_a_missing_reason_come_together(rnc_staff, records, database_state):
    before = database_state()
    unchanged = {"test": "HIV", "sample_date": "2003-05-08", "result": "negative"}
    response = rnc_staff.post(f"/records/lab_test/{records['lab_test']}/correct", unchanged)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "amendment_reason" in errors_beside(html)
    assert "Nothing was changed." in html or "Ничего не изменено." in html
    assert database_state() == before
    # a value the schema refuses is a change, not "nothing changed"
    refused = {**unchanged, "result": "maybe"}
    html = rnc_staff.post(f"/records/lab_test/{records['lab_test']}/correct", refused).get_data(
        as_text=True
    )
    assert errors_beside(html) >= {"result", "amendment_reason"}
    assert "Nothing was changed." not in html and "Ничего не изменено." not in html


@pytest.mark.parametrize(
    ("locale", "texts"),
    [
        ("ru", {"effective_date": "Не может быть раньше даты включения в программу.",
                "phase": "Это поле обязательно.", "amendment_reason": "Это поле обязательно."}),
        ("en", {"effective_date": "Cannot be before the enrolment date.",
                "phase": "This field is required.",
                "amendment_reason": "This field is required."}),
    ],
)  # fmt: skip
def test_the_messages_beside_the_fields_are_in_the_users_language(
    rnc_staff, records, locale, texts
):
    rnc_staff.post("/language", {"locale": locale, "next": "/"}, form_path="/dashboard")
    form = dict(next(c[1] for c in CORRECTIONS if c[0] == "dose_change"))
    html = rnc_staff.post(f"/records/dose_change/{records['dose_change']}/correct", form)
    html = html.get_data(as_text=True)
    for name, text in texts.items():
        assert re.search(rf'<p class="error" id="e-{name}">[^<]*{re.escape(text)}', html), name


def test_a_dose_change_is_corrected_no_further_ahead_than_a_new_one_may_be(
    app, rnc_staff, rnc_records, database_state
):
    path = f"/ost/{rnc_records.enrolment_id}/dose-changes/new"
    form = {"effective_date": "2003-05-10", "dose_mg": "40", "phase": "maintenance",
            "reason": "withdrawal"}  # fmt: skip
    assert rnc_staff.post(path, form).status_code == 302
    with app.app_context():
        change = db.session.scalar(select(DoseChange.id).where(DoseChange.phase == "maintenance"))
        ahead = app.config["DOSE_CHANGE_SCHEDULE_DAYS"]
    before = database_state()
    far = (date.today() + timedelta(days=ahead + 1)).isoformat()
    response = rnc_staff.post(
        f"/records/dose_change/{change}/correct",
        {**form, "effective_date": far, "amendment_reason": "typing_error"},
    )
    assert response.status_code == 422
    assert errors_beside(response.get_data(as_text=True)) == {"effective_date"}
    assert database_state() == before
