"""The real worker under faults: killed mid-job, failing jobs, cancellation."""

from __future__ import annotations

REGISTRY_LISTS = ["registry:treatment_entrants", "registry:ost"]


def study(**parameters) -> dict:
    """A capture-recapture study on the registry's two lists."""
    return {"method": "capture_recapture", "lists": REGISTRY_LISTS, "period": "2003",
            "area_code": "KG", "parameters": parameters}  # fmt: skip


#: A bootstrap long enough (tens of seconds) to kill its worker while it runs.
LONG = {"analysis": "bootstrap", "replicates": 300_000}


def test_a_killed_workers_job_is_retried_then_failed_never_stuck(api, population, start_worker):
    first = start_worker(JOB_MAX_ATTEMPTS=2)
    job_id = api.post("/api/jobs", json=study(**LONG)).json["id"]
    assert api.wait(job_id, ("running",))["state"] == "running"
    first.kill()
    first.wait()

    second = start_worker(JOB_MAX_ATTEMPTS=2)  # its reaper finds the stale heartbeat
    retried = api.wait_until(job_id, lambda j: j["state"] == "running" and j["attempts"] == 2)
    assert (retried["state"], retried["attempts"]) == ("running", 2)
    assert "worker stopped" in retried["error"]
    second.kill()
    second.wait()

    start_worker(JOB_MAX_ATTEMPTS=2)
    failed = api.wait(job_id, ("failed",), timeout=30)
    assert failed["state"] == "failed"
    assert failed["error"] == "The worker stopped during attempt 2 of 2."
    assert failed["finished_at"] is not None


def test_a_failing_estimation_fails_the_job_with_its_error(api, population, start_worker):
    start_worker()
    job_id = api.post("/api/jobs", json=study(analysis="model", model="[12,3,4]")).json["id"]
    job = api.wait(job_id, ("succeeded", "failed"))
    assert job["state"] == "failed"
    assert job["error"].startswith("ValueError")
    result = api.get(f"/api/jobs/{job_id}/result")
    assert result.status_code == 422
    assert result.json["errors"][0]["field"] == "job"


def test_a_queued_job_is_cancelled_and_never_runs(api, population, start_worker):
    job_id = api.post("/api/jobs", json=study()).json["id"]
    cancelled = api.post(f"/api/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    again = api.post(f"/api/jobs/{job_id}/cancel")
    assert again.status_code == 422
    start_worker()
    later = api.post("/api/jobs", json=study()).json["id"]
    assert api.wait(later, ("succeeded",))["state"] == "succeeded"
    assert api.get(f"/api/jobs/{job_id}").json["state"] == "cancelled"


def test_a_running_job_can_be_cancelled(api, population, start_worker):
    start_worker()
    job_id = api.post("/api/jobs", json=study(analysis="bootstrap", replicates=60_000)).json["id"]
    assert api.wait(job_id, ("running",))["state"] == "running"
    asked = api.post(f"/api/jobs/{job_id}/cancel").json
    assert asked["cancel_requested"] is True
    assert api.wait(job_id, ("cancelled", "succeeded", "failed"))["state"] == "cancelled"
