"""Who may use the estimation API, CSRF, validation errors and the OpenAPI document."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import AuditEvent
from tests.registry.jobs.conftest import ApiClient

STUDY = {"method": "capture_recapture", "lists": ["registry:ost", "registry:hiv_tested"],
         "period": "2003", "area_code": "KG"}  # fmt: skip


def test_anonymous_users_get_401_problem_details(client):
    response = client.get("/api/jobs")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("username", ["clinic-bishkek", "ministry"])
def test_other_roles_are_refused(app, registry_data, username):
    api = ApiClient(app.test_client(), registry_data.password, username=username)
    assert api.get("/api/jobs").status_code == 403
    assert api.post("/api/jobs", json=STUDY).status_code == 403


def test_admins_may_use_it(app, registry_data):
    api = ApiClient(app.test_client(), registry_data.password, username="admin")
    assert api.post("/api/jobs", json=STUDY).status_code == 202


def test_a_post_without_the_csrf_header_is_refused(api):
    response = api.client.post("/api/jobs", json=STUDY)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_invalid_study_lists_each_field(api):
    response = api.post("/api/jobs", json={"method": "magic", "lists": []})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json["errors"]}
    assert fields == {"method", "lists", "period", "area_code"}
    unknown = api.post("/api/jobs", json={**STUDY, "lists": ["registry:ost", "upload:99"]})
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "lists"


def test_jobs_are_listed_and_every_use_is_audited(app, api):
    job = api.post("/api/jobs", json=STUDY).json
    assert [j["id"] for j in api.get("/api/jobs").json] == [job["id"]]
    assert api.get(f"/api/jobs/{job['id']}").json["state"] == "queued"
    assert api.get("/api/jobs/999").status_code == 404
    with app.app_context():
        events = db.session.execute(select(AuditEvent.action, AuditEvent.entity)).all()
    assert ("create", "study") in events and ("create", "estimation_job") in events
    assert ("read", "estimation_job") in events


def test_the_openapi_document_describes_the_api(client):
    document = client.get("/api/openapi.json").json
    assert "/api/jobs" in document["paths"] and "/api/uploads" in document["paths"]
    assert "StudySchema" in str(document["components"]) or "Study" in str(document)
