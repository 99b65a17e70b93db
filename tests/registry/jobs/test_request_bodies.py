"""Request bodies that used to end in a server error: problem details instead, nothing stored.

* a lone surrogate (``"\\ud800"`` as a JSON escape) is valid JSON syntax but no text a
  database can store: 400;
* 50,000 nested arrays overflow the JSON parser's recursion: 400;
* a NUL character in any text field (JSON, query, multipart or an HTML form) cannot be
  stored by PostgreSQL: 422 naming the field (the form shows the message beside it).
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import EstimationJob, Study
from tests.registry.jobs.test_api_access import STUDY
from tests.registry.jobs.test_uploads_api import GOOD, stored
from tests.registry.web.conftest import AuthActions

LONE_SURROGATE = '{"method": "capture_recapture", "title": "\\ud800", "period": "2003", ' \
    '"area_code": "KG", "lists": ["registry:ost", "registry:hiv_tested"]}'  # fmt: skip
DEEP = "[" * 50_000 + "]" * 50_000
ENDPOINTS = ("/api/jobs", "/api/duplicates/1")


def studies(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Study)) + db.session.scalar(
            select(func.count()).select_from(EstimationJob)
        )


def post_raw(api, path: str, body: str):
    return api.post(path, data=body.encode("utf-8"), content_type="application/json")


def assert_problem(response, statuses=(400, 422)) -> None:
    assert response.status_code in statuses, (response.status_code, response.get_data())
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == response.status_code


def test_a_lone_surrogate_is_refused(app, api):
    response = post_raw(api, "/api/jobs", LONE_SURROGATE)
    assert_problem(response)
    assert "JSON" in response.json["detail"]  # the general 400 message does not say it
    assert studies(app) == 0


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_lone_surrogate_is_refused_on_every_json_endpoint(api, path):
    assert_problem(post_raw(api, path, '{"decision": "\\udfff"}'))


@pytest.mark.parametrize("path", ENDPOINTS)
def test_deeply_nested_arrays_are_refused(app, api, path):
    response = post_raw(api, path, DEEP)
    assert_problem(response)
    assert "JSON" in response.json["detail"]  # the general 400 message does not say it
    assert studies(app) == 0


def test_a_nul_in_a_json_text_field_names_the_field(app, api):
    for study in ({**STUDY, "title": "a\x00b"}, {**STUDY, "parameters": {"seed": "1\x00"}}):
        response = api.post("/api/jobs", json=study)
        assert_problem(response, (422,))
        field = "title" if "title" in study else "parameters"
        assert [error["field"] for error in response.json["errors"]] == [field]
        assert "NUL" in response.json["errors"][0]["detail"]
    assert studies(app) == 0


def test_a_nul_in_a_multipart_or_query_field_names_the_field(app, api):
    upload = api.upload(GOOD.encode(), source_name="police\x00")
    assert_problem(upload, (422,))
    assert [error["field"] for error in upload.json["errors"]] == ["source_name"]
    assert stored(app) == (0, 0, 0)
    query = {"lists": ["registry:ost", "registry:hiv_tested"], "period": "2003",
             "area_code": "K\x00G"}  # fmt: skip
    overlap = api.get("/api/linkage/overlap", query_string=query)
    assert_problem(overlap, (422,))
    assert [error["field"] for error in overlap.json["errors"]] == ["area_code"]


def test_a_nul_in_an_html_form_is_shown_beside_the_field(app, client, registry_data):
    auth = AuthActions(client, registry_data.password)
    auth.login("epi")
    auth.post("/language", {"locale": "en", "next": "/"}, form_path="/login")
    form = {"source_name": "po\x00lice", "kind": "identifiers", "period": "2003",
            "area_code": "KG", "file": (io.BytesIO(GOOD.encode()), "list.csv")}  # fmt: skip
    upload = auth.post("/studies/uploads", form, content_type="multipart/form-data")
    study = auth.post("/studies/new", {"method": "capture_recapture", "title": "x\x00",
                                       "period": "2003", "area_code": "KG",
                                       "lists": STUDY["lists"]})  # fmt: skip
    for response, field in ((upload, "source_name"), (study, "title")):
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert f'id="e-{field}"' in page and "NUL" in page
    assert stored(app) == (0, 0, 0) and studies(app) == 0
