"""Periods whose year is out of range: 422 naming the field at every entry point, over HTTP.

``0000`` used to reach ``datetime.date`` and end in a server error (``year 0 is out of
range``) on uploads, studies and overlap; the analytics API gave only its general
period message. Every period parser now refuses years outside 1900..2100 with a message
that says so.
"""

from __future__ import annotations

import io

import pytest

from tests.registry.jobs.test_api_access import STUDY
from tests.registry.jobs.test_uploads_api import GOOD, stored
from tests.registry.web.conftest import AuthActions

PERIODS = ("0000", "0000Q1", "000001", "1899", "2101Q4", "9999")


def assert_names_the_year(response, field: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    (error,) = response.json["errors"]
    assert error["field"] == field
    assert "1900" in error["detail"] and "2100" in error["detail"]


@pytest.mark.parametrize("period", PERIODS)
def test_uploads(app, api, period):
    assert_names_the_year(api.upload(GOOD.encode(), period=period), "period")
    assert stored(app) == (0, 0, 0)


@pytest.mark.parametrize("period", PERIODS)
def test_studies(api, period):
    assert_names_the_year(api.post("/api/jobs", json={**STUDY, "period": period}), "period")
    assert api.get("/api/jobs").json == []


@pytest.mark.parametrize("period", PERIODS)
def test_overlap(api, period):
    query = {"lists": ["registry:ost", "registry:hiv_tested"], "period": period,
             "area_code": "KG"}  # fmt: skip
    assert_names_the_year(api.get("/api/linkage/overlap", query_string=query), "period")


@pytest.mark.parametrize("period", ("0000", "0000S1", "0000Q1", "000001", "1899", "2101"))
def test_analytics(api, period):
    response = api.get("/api/v1/analytics", query_string={"dx": "REG_CLIENTS", "pe": period,
                                                          "ou": "KG"})  # fmt: skip
    assert_names_the_year(response, "pe")


@pytest.fixture
def epi(client, registry_data) -> AuthActions:
    auth = AuthActions(client, registry_data.password)
    auth.login("epi")
    auth.post("/language", {"locale": "en", "next": "/"}, form_path="/login")
    return auth


@pytest.mark.parametrize("period", ("0000", "0000Q1", "1899"))
def test_the_upload_and_study_forms_show_the_message_beside_the_period(app, epi, period):
    form = {"source_name": "police", "kind": "identifiers", "period": period, "area_code": "KG",
            "file": (io.BytesIO(GOOD.encode()), "list.csv")}  # fmt: skip
    upload = epi.post("/studies/uploads", form, content_type="multipart/form-data")
    study = epi.post("/studies/new", {"method": "capture_recapture", "period": period,
                                      "area_code": "KG", "lists": STUDY["lists"]})  # fmt: skip
    for response in (upload, study):
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert 'id="e-period"' in page and "from 1900 to 2100" in page
    assert stored(app) == (0, 0, 0)
