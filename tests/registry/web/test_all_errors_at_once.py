"""Issue 13 item 7: every error of a submission is shown at once -- the schema's and
the service's rules side by side, and every rule the service checks, not the first."""

from __future__ import annotations

import re

import pytest


def errors_beside(html: str) -> set[str]:
    """The fields that have a message beside them."""
    return set(re.findall(r'<p class="error" id="e-([a-z_]+)">', html))


@pytest.mark.parametrize(
    ("path", "form", "fields"),
    [
        # a field the schema refuses and a rule the service checks on another field
        ("/ost/{enrolment}/doses/new",
         {"dose_date": "2003-05-01", "kind": "", "dose_mg": "60"}, {"kind", "dose_date"}),
        ("/ost/{enrolment}/dose-changes/new",
         {"effective_date": "2003-05-01", "dose_mg": "60", "phase": "maintenance"},
         {"reason", "effective_date"}),
        ("/ost/{enrolment}/exit", {"exit_date": "2003-05-01"}, {"exit_reason", "exit_date"}),
        ("/clients/{client}/lab-tests/new", {"test": "HIV", "sample_date": "2003-05-07"},
         {"result", "sample_date"}),
        ("/episodes/{episode}/discharge", {"discharge_date": "2003-05-01"},
         {"discharge_reason", "discharge_date"}),
    ],
)  # fmt: skip
def test_schema_and_service_errors_come_together(
    rnc_staff, rnc_records, row_counts, path, form, fields
):
    before = row_counts()
    url = path.format(enrolment=rnc_records.enrolment_id, client=rnc_records.client_id,
                      episode=rnc_records.episode_id)  # fmt: skip
    response = rnc_staff.post(url, form)
    assert response.status_code == 422
    assert errors_beside(response.get_data(as_text=True)) >= fields
    assert row_counts() == before


def test_the_same_day_test_names_the_existing_one_even_beside_a_schema_error(
    rnc_staff, rnc_records
):
    url = f"/clients/{rnc_records.client_id}/lab-tests/new"
    html = rnc_staff.post(url, {"test": "HIV", "sample_date": "2003-05-07"}).get_data(as_text=True)
    assert errors_beside(html) >= {"result", "sample_date"}
    assert re.search(r'href="/records/lab_test/\d+/correct"', html)


def test_every_rule_of_the_service_is_reported(rnc_staff, rnc_records, row_counts):
    before = row_counts()
    form = {"medication": "methadone", "enrolment_date": "2003-05-08",
            "transferred_from": "NOWHERE", "episode_id": "999999"}  # fmt: skip
    response = rnc_staff.post(f"/clients/{rnc_records.client_id}/ost/new", form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert errors_beside(html) >= {"transferred_from", "episode_id"}
    assert "already on OST" in html or "уже получает ОЗТ" in html
    assert row_counts() == before


def test_the_admission_reports_the_region_with_the_schema_errors(
    rnc_staff, admission_form, row_counts
):
    before = row_counts()
    form = admission_form(region_code="XX-NOWHERE", primary_drug="")
    response = rnc_staff.post("/admissions/new", form)
    assert response.status_code == 422
    assert errors_beside(response.get_data(as_text=True)) >= {"region_code", "primary_drug"}
    assert row_counts() == before
