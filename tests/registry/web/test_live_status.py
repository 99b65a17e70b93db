"""Live job status: what registry/static/job-status.js relies on, checked through HTTP.

The script (driven by a real Chromium in tests/browser/test_studies.py) reads, from the
page, each unfinished job's ``data-job-url`` and ``data-state`` and the state labels of
its own tag, and from the API the job's ``state``. These tests pin that contract.
"""

from __future__ import annotations

import json
import re

import pytest

from registry.extensions import db
from registry.models import EstimationJob
from registry.models.studies import JOB_STATES
from tests.registry.web import study_fixtures
from tests.registry.web.study_fixtures import run_job

study_records = study_fixtures.study_records

STATUS_SCRIPT = re.compile(r"<script ([^>]*)></script>")
ATTRIBUTE = re.compile(r"""([\w-]+)(?:=(?:"([^"]*)"|'([^']*)'))?""")


@pytest.fixture
def epi(auth):
    """Signed in as the epidemiologist (the default, Russian interface)."""
    auth.login("epi")
    return auth


def queue_job(epi, study_records) -> int:
    """Submit a study through the form; its job stays queued (no worker runs)."""
    response = epi.post(
        "/studies/new",
        {
            "method": "capture_recapture",
            "lists": [f"upload:{i}" for i in study_records.list_ids],
            "period": "2003",
            "area_code": "KG",
        },
    )
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def script_attributes(page: str) -> dict[str, str]:
    """Attributes of the page's only script tag (there is no inline script)."""
    tags = STATUS_SCRIPT.findall(page)
    assert len(tags) == 1 and page.count("<script") == 1
    pairs = ATTRIBUTE.findall(tags[0])
    return {name: double or single for name, double, single in pairs}


@pytest.mark.parametrize("path", ["/studies/jobs/{job}", "/studies/jobs"])
def test_an_unfinished_job_is_polled_by_a_script_and_refreshed_without_one(
    epi, client, study_records, path
):
    job_id = queue_job(epi, study_records)
    page = client.get(path.format(job=job_id)).get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert page.count('http-equiv="refresh"') == 1  # only inside <noscript>
    attributes = script_attributes(page)
    assert attributes["src"] == "/static/job-status.js" and "defer" in attributes
    assert attributes["data-poll-seconds"] == "3"
    labels = json.loads(attributes["data-state-labels"])
    assert set(labels) == set(JOB_STATES)
    assert labels["queued"] == "В очереди" and labels["succeeded"] == "Выполнено"
    watched = re.findall(r'data-state="(\w+)" data-job-id="(\d+)" data-job-url="([^"]+)"', page)
    assert ("queued", str(job_id), f"/api/jobs/{job_id}") in watched
    assert attributes["data-jobs-url"] == "/api/jobs"  # one request for a list of jobs
    listed = client.get("/api/jobs", headers={"Accept": "application/json"}).json
    assert {"id": job_id, "state": "queued"}.items() <= listed[0].items()
    # what the script fetches: the same URL, with the session cookie, answers the state
    response = client.get(f"/api/jobs/{job_id}", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.json["state"] == "queued"


def test_the_api_answers_each_state_the_script_shows(epi, client, study_records, app):
    job_id = queue_job(epi, study_records)
    url = f"/api/jobs/{job_id}"
    with app.app_context():
        job = db.session.get(EstimationJob, job_id)
        job.state = "running"
        db.session.commit()
    assert client.get(url).json["state"] == "running"
    with app.app_context():
        run_job(job_id)
    body = client.get(url).json
    assert body["state"] == "succeeded" and body["finished_at"]
    page = client.get(f"/studies/jobs/{job_id}").get_data(as_text=True)
    assert "<script" not in page and "refresh" not in page  # finished: nothing to poll


def test_the_script_is_served_as_javascript_under_the_policy(client):
    response = client.get("/static/job-status.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    source = response.get_data(as_text=True)
    response.close()
    assert 'getJson(element.getAttribute("data-job-url"))' in source  # URLs from the page
    assert "getJson(jobsUrl)" in source
    assert "window.location.reload()" in source


def test_signed_out_or_other_roles_get_no_state(client, auth, study_records):
    auth.login("clinic-bishkek")
    assert client.get(f"/api/jobs/{study_records.job_id}").status_code == 403
    auth.logout()
    assert client.get(f"/api/jobs/{study_records.job_id}").status_code == 401
