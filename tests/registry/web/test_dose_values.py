"""Doses are taken as typed or refused: never rounded, never below 0.5 mg.

Every form that takes a dose in mg (dose visit, take-home dose, dose change, induction
dose of an OST enrolment) refuses a value below 0.5 mg or with more than one decimal,
with a message beside the field in the user's language, and saves nothing. A dose of
1e-22 mg once became a 0 mg prescription and 60.123456789 became 60.12.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from registry.extensions import db
from registry.models import DoseChange, DosingEvent, OstEnrolment
from tests.registry.web.test_admission import error_beside

TOO_SMALL = {"en": "Enter a dose of at least 0.5 mg.", "ru": "Введите дозу не меньше 0,5 мг."}
TOO_PRECISE = {
    "en": "Enter the dose with at most one decimal place (for example 62.5).",
    "ru": "Укажите дозу не более чем с одним знаком после запятой (например, 62,5).",
}

#: form name -> (path under /ost/<enrolment> or /clients/<client>, other fields, dose field)
FORMS = {
    "dose visit": ("ost", "doses/new", {"dose_date": "2003-05-08", "kind": "observed"},
                   "dose_mg"),
    "take-home dose": ("ost", "doses/new", {"dose_date": "2003-05-08", "kind": "take_home",
                                            "take_home_days": "2"}, "dose_mg"),
    "dose change": ("ost", "dose-changes/new", {"effective_date": "2003-05-20",
                                                 "phase": "maintenance", "reason": "other"},
                    "dose_mg"),
    "enrolment": ("client", "ost/new", {"medication": "methadone",
                                        "enrolment_date": "2003-05-10"}, "induction_dose_mg"),
}  # fmt: skip

REFUSED = [
    ("1e-22", "ru", TOO_SMALL),
    ("0.4", "en", TOO_SMALL),
    ("-5", "ru", TOO_SMALL),
    ("30.123456789", "en", TOO_PRECISE),
    ("20.15", "ru", TOO_PRECISE),
]


def path_of(form_name: str, rnc_records, client_not_on_ost: int) -> str:
    owner, tail, _fields, _dose = FORMS[form_name]
    if owner == "ost":
        return f"/ost/{rnc_records.enrolment_id}/{tail}"
    return f"/clients/{client_not_on_ost}/{tail}"


@pytest.mark.parametrize("form_name", list(FORMS))
@pytest.mark.parametrize(("typed", "language", "message"), REFUSED)
def test_a_dose_below_half_a_mg_or_with_two_decimals_is_refused_with_a_message(
    rnc_staff, rnc_records, client_not_on_ost, row_counts, form_name, typed, language, message
):
    _owner, _tail, fields, dose_field = FORMS[form_name]
    before = row_counts()
    response = rnc_staff.post(
        path_of(form_name, rnc_records, client_not_on_ost),
        {**fields, dose_field: typed},
        headers={"Accept-Language": language},
    )
    assert response.status_code == 422
    assert error_beside(response.get_data(as_text=True), dose_field) == message[language]
    assert row_counts() == before


@pytest.mark.parametrize("typed", ["0.5", "12.5", "12.50", "8"])
def test_doses_of_half_a_mg_or_more_with_one_decimal_are_kept_exactly(
    rnc_staff, app, rnc_records, client_not_on_ost, typed
):
    fields = FORMS["dose change"][2]
    response = rnc_staff.post(
        f"/ost/{rnc_records.enrolment_id}/dose-changes/new", {**fields, "dose_mg": typed}
    )
    assert response.status_code == 302
    # the day after enrolment: no gap, so no re-induction decision is needed
    form = {"dose_date": "2003-05-08", "kind": "observed", "dose_mg": typed}
    assert rnc_staff.post(f"/ost/{rnc_records.enrolment_id}/doses/new", form).status_code == 302
    enrol = {"medication": "buprenorphine", "enrolment_date": "2003-05-10"}
    response = rnc_staff.post(
        f"/clients/{client_not_on_ost}/ost/new", {**enrol, "induction_dose_mg": typed}
    )
    assert response.status_code == 302
    with app.app_context():
        stored = [
            db.session.scalars(
                db.select(model.dose_mg).where(model.enrolment_id == rnc_records.enrolment_id)
            ).one()
            for model in (DoseChange, DosingEvent)
        ]
        enrolment = db.session.scalars(
            db.select(OstEnrolment).where(OstEnrolment.client_id == client_not_on_ost)
        ).one()
        stored.append(enrolment.induction_dose_mg)
    assert stored == [Decimal(typed)] * 3


def test_a_missed_dose_may_still_be_typed_as_zero(rnc_staff, app, rnc_records):
    form = {"dose_date": "2003-05-08", "kind": "missed", "dose_mg": "0"}
    assert rnc_staff.post(f"/ost/{rnc_records.enrolment_id}/doses/new", form).status_code == 302
    with app.app_context():
        assert db.session.scalars(db.select(DosingEvent.dose_mg)).one() == 0
