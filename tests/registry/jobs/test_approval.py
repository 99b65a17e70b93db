"""Approval of results for publication: service rules, audit, API, result page, and the
``latest_approved_result`` lookup the estimate-based indicators use."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import AuditEvent, EstimationJob, EstimationResult, User
from registry.services.access import AccessDenied
from registry.services.approvals import (
    approve_result,
    latest_approved_result,
    withdraw_approval,
)
from registry.services.errors import ServiceError
from registry.services.studies import create_study
from tests.registry.jobs.conftest import ApiClient
from tests.registry.web import study_fixtures
from tests.registry.web.conftest import AuthActions
from tests.registry.web.study_fixtures import run_job

study_records = study_fixtures.study_records


def user(registry_data, name: str) -> User:
    return db.session.get(User, registry_data.users[name])


def result_of(job_id: int) -> EstimationResult:
    return db.session.get(EstimationJob, job_id).result


def finished_job(registry_data, list_ids, *, period: str = "2003", area: str = "KG") -> int:
    """Another succeeded capture-recapture study on the fixture's uploads."""
    job = create_study({"method": "capture_recapture", "period": period, "area_code": area,
                        "lists": [f"upload:{i}" for i in list_ids]},
                       actor=user(registry_data, "epi"))  # fmt: skip
    db.session.commit()
    run_job(job.id)
    return job.id


def test_approve_and_withdraw_are_recorded_and_audited(app, registry_data, study_records):
    with app.app_context():
        epi = user(registry_data, "epi")
        result = result_of(study_records.job_id)
        assert result.approved is False
        approve_result(result, actor=epi)
        db.session.commit()
        assert (result.approved, result.approved_by_id) == (True, epi.id)
        assert result.approved_at is not None
        with pytest.raises(ServiceError) as twice:
            approve_result(result, actor=epi)
        assert twice.value.field == "result"
        admin = user(registry_data, "admin")
        withdraw_approval(result, actor=admin)  # an admin may withdraw it
        db.session.commit()
        assert (result.approved, result.approved_by_id, result.approved_at) == (False, None, None)
        with pytest.raises(ServiceError):
            withdraw_approval(result, actor=admin)
        events = db.session.execute(
            select(AuditEvent.user_id, AuditEvent.detail)
            .where(AuditEvent.entity == "estimation_result", AuditEvent.action == "update")
            .order_by(AuditEvent.id)
        ).all()
        assert events == [(epi.id, "approve"), (admin.id, "withdraw")]


@pytest.mark.parametrize("username", ["clinic-bishkek", "ministry"])
def test_only_epidemiologists_and_admins_approve(app, registry_data, study_records, username):
    with app.app_context(), pytest.raises(AccessDenied):
        approve_result(result_of(study_records.job_id), actor=user(registry_data, username))


def test_only_a_succeeded_jobs_result_is_approved(app, registry_data, study_records):
    with app.app_context():
        result = result_of(study_records.job_id)
        result.job.state = "cancelled"  # e.g. cancelled after the result was stored
        with pytest.raises(ServiceError) as refused:
            approve_result(result, actor=user(registry_data, "epi"))
        assert refused.value.field == "result"
        assert "выполненного задания" in str(refused.value)  # Russian, the default language
        assert result.approved is False


def test_latest_approved_result_follows_approvals(app, registry_data, study_records):
    with app.app_context():
        epi = user(registry_data, "epi")
        assert latest_approved_result("capture_recapture", "KG", "2003") is None
        first = result_of(study_records.job_id)
        second = result_of(finished_job(registry_data, study_records.list_ids))
        other_period = result_of(finished_job(registry_data, study_records.list_ids,
                                              period="2003Q1"))  # fmt: skip
        approve_result(other_period, actor=epi)
        assert latest_approved_result("capture_recapture", "KG", "2003") is None
        approve_result(second, actor=epi)
        db.session.commit()
        approve_result(first, actor=epi)  # approved later: the latest decision
        db.session.commit()
        assert latest_approved_result("capture_recapture", "KG", "2003") is first
        withdraw_approval(first, actor=epi)
        db.session.commit()
        assert latest_approved_result("capture_recapture", "KG", "2003") is second
        assert latest_approved_result("capture_recapture", "KG", "2003Q1") is other_period
        assert latest_approved_result("capture_recapture", "KG-GB", "2003") is None
        assert latest_approved_result("count_estimators", "KG", "2003") is None


def test_the_api_approves_and_withdraws(app, client, registry_data, study_records):
    api = ApiClient(client, registry_data.password)
    url = f"/api/jobs/{study_records.job_id}/result/approval"
    approved = api.post(url)
    assert approved.status_code == 200, approved.json
    assert approved.json["approved"] is True
    assert approved.json["approved_by_id"] == registry_data.users["epi"]
    assert approved.json["approved_at"]
    assert api.get(f"/api/jobs/{study_records.job_id}/result").json["approved"] is True
    again = api.post(url)
    assert again.status_code == 422 and again.json["errors"][0]["field"] == "result"
    assert client.delete(url).status_code == 400  # no CSRF token
    withdrawn = client.delete(url, headers={"X-CSRFToken": api.token})
    assert withdrawn.status_code == 200 and withdrawn.json["approved"] is False
    assert withdrawn.json["approved_at"] is None
    assert client.delete(url, headers={"X-CSRFToken": api.token}).status_code == 422
    assert api.post("/api/jobs/999/result/approval").status_code == 404
    with app.app_context():
        queued = create_study({"method": "capture_recapture", "period": "2003",
                               "area_code": "KG", "lists": ["registry:ost", "registry:prison"]},
                              actor=user(registry_data, "epi"))  # fmt: skip
        db.session.commit()
        queued_id = queued.id
    no_result = api.post(f"/api/jobs/{queued_id}/result/approval")
    assert no_result.status_code == 422  # the job has no result yet


def test_a_ministry_cannot_approve_through_the_api(client, registry_data, study_records):
    auth = AuthActions(client, registry_data.password)
    auth.login("ministry")
    token = client.get("/api/csrf-token").json["csrf_token"]
    url = f"/api/jobs/{study_records.job_id}/result/approval"
    assert client.post(url, headers={"X-CSRFToken": token}).status_code == 403


def test_the_result_page_approves_and_withdraws(app, client, registry_data, study_records):
    auth = AuthActions(client, registry_data.password)
    auth.login("epi")
    auth.post("/language", {"locale": "en", "next": "/"}, form_path="/login")
    page_url = f"/studies/jobs/{study_records.job_id}"
    page = client.get(page_url).get_data(as_text=True)
    assert "Not approved: ministry outputs use only approved results." in page
    assert 'value="approve"' in page and "Approve for publication" in page
    response = auth.post(f"{page_url}/approval", {"decision": "approve"}, form_path=page_url)
    assert response.status_code == 302 and response.headers["Location"] == page_url
    page = client.get(page_url).get_data(as_text=True)
    assert "The result is approved." in page
    assert "Approved for publication by epi on" in page and "Withdraw the approval" in page
    auth.post(f"{page_url}/approval", {"decision": "approve"}, form_path=page_url)
    assert "This result is already approved." in client.get(page_url).get_data(as_text=True)
    auth.post(f"{page_url}/approval", {"decision": "withdraw"}, form_path=page_url)
    page = client.get(page_url).get_data(as_text=True)
    assert "The approval was withdrawn." in page and 'value="approve"' in page
    with app.app_context():
        assert result_of(study_records.job_id).approved is False
