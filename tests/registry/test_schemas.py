"""Every schema: valid input loads; each invalid field gets its own translatable message."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import LazyString
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from registry import create_app
from registry.schemas import (
    AdmissionSchema,
    ClientLookupSchema,
    DischargeSchema,
    DoseChangeSchema,
    DoseSchema,
    LabTestSchema,
    LoginSchema,
    OstEnrolmentSchema,
    OstExitSchema,
)
from registry.services.client_codes import ClientIdentifiers

#: A date in the future however long the suite runs (a day ahead, computed at import, was
#: today for the tests that ran after midnight).
FUTURE = (date.today() + timedelta(days=30)).isoformat()


@pytest.fixture(scope="module")
def request_context():
    """Schemas need no database, only an app for the translated messages."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": "sqlite://",
            "SECRET_KEY": "s" * 40,
            "LINKAGE_KEY": "l" * 40,
        }
    )
    with app.test_request_context():
        yield


def errors_of(schema, form) -> dict:
    with pytest.raises(ValidationError) as error:
        schema.load(form)
    return error.value.messages


def as_multidict(form: dict) -> MultiDict:
    return MultiDict(
        [
            (k, v)
            for k, values in form.items()
            for v in (values if isinstance(values, list) else [values])
        ]
    )


def test_admission_loads_a_multidict_and_folds_the_identifiers(request_context, admission_form):
    data = AdmissionSchema().load(as_multidict({**admission_form(), "csrf_token": "x"}))
    assert isinstance(data["identifiers"], ClientIdentifiers)
    assert not {"family_name", "given_name", "birth_date", "sex"} & set(data)
    assert data["secondary_drugs"] == ["7.1", "8"]
    assert data["age_first_use"] == 19 and data["ost_first_year"] is None
    assert data["admission_date"] == date(2003, 5, 6)


def test_empty_tdi_items_default_to_not_known(request_context, admission_form):
    form = admission_form()
    for item in ("referral_source", "living_with", "education", "route", "hcv_testing"):
        form[item] = ""
    form.update(ever_treated="", secondary_drugs=[""], age_first_use="  ", needle_sharing="")
    data = AdmissionSchema().load(form)
    assert data["referral_source"] == data["route"] == data["needle_sharing"] == "99"
    assert data["ever_treated"] == "3"
    assert data["secondary_drugs"] == [] and data["age_first_use"] is None


ADMISSION_ERRORS = [
    ("family_name", {"family_name": ""}),
    ("family_name", {"family_name": "12345"}),
    ("given_name", {"given_name": "x" * 101}),
    ("birth_date", {"birth_date": "14.03.1980"}),
    ("birth_date", {"birth_date": "1899-12-31"}),
    ("birth_date", {"birth_date": FUTURE}),
    ("birth_date", {"birth_date": "1998-01-01"}),  # 5 years old at admission
    ("sex", {"sex": "X"}),
    ("region_code", {"region_code": ""}),
    ("programme", {"programme": "spa"}),
    ("admission_date", {"admission_date": FUTURE}),
    ("admission_date", {"admission_date": "1989-12-31"}),
    ("admission_date", {"admission_date": "1975-01-01"}),
    ("ever_treated", {"ever_treated": "99"}),
    ("referral_source", {"referral_source": "8"}),
    ("primary_drug", {"primary_drug": ""}),
    ("primary_drug", {"primary_drug": "1"}),
    ("route", {"route": "6"}),
    ("frequency", {"frequency": "0"}),
    ("age_first_use", {"age_first_use": "abc"}),
    ("age_first_use", {"age_first_use": "3"}),
    ("age_first_use", {"age_first_use": "40"}),  # older than at admission (23)
    ("secondary_drugs", {"secondary_drugs": ["1.1"]}),  # the primary drug
    ("secondary_drugs", {"secondary_drugs": ["8", "8"]}),
    ("secondary_drugs", {"secondary_drugs": ["zz"]}),
    ("secondary_drugs", {"secondary_drugs": ["8", "7.1", "4.2", "3.4", "6"]}),
    ("injecting", {"injecting": "1", "age_first_injection": "", "needle_sharing": "1"}),
    ("age_first_injection", {"age_first_injection": "15"}),  # before first use (19)
    (
        "age_first_injection",
        {"route": "2", "injecting": "1", "age_first_injection": "20", "needle_sharing": "1"},
    ),  # fmt: skip
    ("needle_sharing", {"route": "2", "injecting": "1", "age_first_injection": ""}),
    ("ost_first_year", {"ost_first_year": "2001"}),  # ost_history "never"
    ("ost_first_year", {"ost_history": "2", "ost_first_year": "2004"}),  # after admission
    ("ost_first_year", {"ost_history": "2", "ost_first_year": "twenty"}),
]


@pytest.mark.parametrize(("field", "overrides"), ADMISSION_ERRORS)
def test_admission_reports_each_invalid_field(request_context, field, overrides, admission_form):
    messages = errors_of(AdmissionSchema(), admission_form(**overrides))
    assert field in messages, messages
    assert all(isinstance(m, LazyString) for m in messages[field])
    typed = [v for v in overrides.values() if isinstance(v, str) and len(v) > 2]
    for message in messages[field]:
        assert not any(value in str(message) for value in typed)


def test_admission_errors_never_repeat_identifiers(request_context, admission_form):
    form = admission_form(family_name="Асанов", birth_date="1980-03-14", admission_date="x")
    messages = errors_of(AdmissionSchema(), form)
    shown = " ".join(str(m) for ms in messages.values() for m in ms)
    assert "Асанов" not in shown and "1980" not in shown


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("family_name", {"family_name": " "}),
        ("birth_date", {"birth_date": ""}),
        ("sex", {"sex": "m"}),
    ],
)
def test_client_lookup_reports_each_invalid_field(
    request_context, field, overrides, identifiers_form
):
    assert field in errors_of(ClientLookupSchema(), identifiers_form(**overrides))


def test_client_lookup_returns_identifiers_only(request_context, identifiers_form):
    data = ClientLookupSchema().load({**identifiers_form(), "programme": "ost"})
    assert set(data) == {"identifiers"}


SCHEMA_CASES = [
    (DischargeSchema, {"discharge_date": "2003-06-01", "discharge_reason": "completed"},
     [("discharge_date", {"discharge_date": FUTURE}),
      ("discharge_date", {"discharge_date": ""}),
      ("discharge_reason", {"discharge_reason": "bored"})]),
    (OstEnrolmentSchema, {"medication": "methadone", "enrolment_date": "2003-01-10",
                          "induction_dose_mg": "20", "first_maintenance_date": "2003-01-20"},
     [("medication", {"medication": "heroin"}),
      ("enrolment_date", {"enrolment_date": "2003-02-30"}),
      ("induction_dose_mg", {"induction_dose_mg": "35", "medication": "buprenorphine"}),
      ("induction_dose_mg", {"induction_dose_mg": "-5"}),
      ("induction_dose_mg", {"induction_dose_mg": "lots"}),
      ("induction_dose_mg", {"induction_dose_mg": "0"}),
      ("first_maintenance_date", {"first_maintenance_date": "2003-01-01"}),
      ("episode_id", {"episode_id": "first"})]),
    (DoseSchema, {"dose_date": "2003-02-01", "kind": "observed", "dose_mg": "60"},
     [("dose_date", {"dose_date": FUTURE}),
      ("kind", {"kind": "injected"}),
      ("dose_mg", {"dose_mg": ""}),
      ("dose_mg", {"dose_mg": "301"}),
      ("take_home_days", {"take_home_days": "3"}),
      ("take_home_days", {"kind": "take_home", "take_home_days": "15"})]),
    (DoseChangeSchema, {"effective_date": "2003-02-01", "dose_mg": "70", "phase": "maintenance",
                        "reason": "clinical_review"},
     [("effective_date", {"effective_date": "yesterday"}),
      ("dose_mg", {"dose_mg": ""}),
      ("dose_mg", {"dose_mg": "1e-22"}),
      ("dose_mg", {"dose_mg": "60.123456789"}),
      ("dose_mg", {"dose_mg": "0"}),
      ("phase", {"phase": "holiday"}),
      ("reason", {"reason": ""}),
      ("reason", {"reason": "asked by a relative"}),
      ("note", {"note": "x" * 101})]),
    (OstExitSchema, {"exit_date": "2003-06-01", "exit_reason": "completed"},
     [("exit_date", {"exit_date": ""}), ("exit_reason", {"exit_reason": "completed_drug_free"})]),
    (LabTestSchema, {"test": "HIV", "sample_date": "2003-06-01", "result": "negative"},
     [("test", {"test": "HBV"}), ("sample_date", {"sample_date": FUTURE}),
      ("result", {"result": "maybe"})]),
    (LoginSchema, {"username": "clinic-osh", "password": "demo-password-1"},
     [("username", {"username": ""}), ("password", {"password": ""})]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("schema", "valid", "field", "overrides"),
    [
        (schema, valid, field, overrides)
        for schema, valid, cases in SCHEMA_CASES
        for field, overrides in cases
    ],  # fmt: skip
)
def test_each_form_reports_each_invalid_field(request_context, schema, valid, field, overrides):
    schema().load(valid)
    messages = errors_of(schema(), {**valid, **overrides})
    assert field in messages, messages
    assert all(isinstance(message, LazyString) for message in messages[field])


def test_dose_defaults_for_a_missed_day(request_context):
    data = DoseSchema().load({"dose_date": "2003-02-01", "kind": "missed", "dose_mg": ""})
    assert data["dose_mg"] == Decimal(0) and data["take_home_days"] == 1


def test_login_keeps_the_password_as_typed(request_context):
    data = LoginSchema().load({"username": " Clinic-Osh ", "password": " secret "})
    assert data == {"username": "clinic-osh", "password": " secret "}


def test_messages_are_translated_when_rendered(request_context):
    from flask_babel import force_locale

    messages = errors_of(DischargeSchema(), {"discharge_reason": "completed"})
    with force_locale("en"):
        assert str(messages["discharge_date"][0]) == "This field is required."


def test_a_missed_day_ignores_a_dose_left_in_the_box(request_context):
    """The form pre-fills the dose; choosing "missed" records no dose (issue 13, item 7)."""
    data = DoseSchema().load({"dose_date": "2003-02-01", "kind": "missed", "dose_mg": "60"})
    assert data["dose_mg"] == 0
