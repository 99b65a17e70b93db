"""The real worker under faults: killed mid-job, failing jobs, cancellation, reaping.

Bad parameters never reach the worker: they are refused when the study is created
(tests/registry/jobs/test_method_parameters.py); a job fails only on its data.

A job that must be seen running is held by ``held_jobs`` (the worker's ``JOB_HOLD_FILE``)
at its first checkpoint, so no test races the computation; a dead worker's heartbeat is
aged with ``make_heartbeat_stale`` rather than by waiting.
"""

from __future__ import annotations

import pytest

from registry.extensions import db
from registry.jobs import enqueue
from registry.jobs.runner import JobStopped
from registry.models import EstimationJob, User
from registry.services import studies
from registry.services.methods import METHODS
from registry.services.methods.capture_recapture import MAX_REPLICATES
from tests.registry.jobs.conftest import heartbeat, make_heartbeat_stale

pytestmark = pytest.mark.slow

REGISTRY_LISTS = ["registry:treatment_entrants", "registry:ost"]


def study(**parameters) -> dict:
    """A capture-recapture study on the registry's two lists."""
    return {"method": "capture_recapture", "lists": REGISTRY_LISTS, "period": "2003",
            "area_code": "KG", "parameters": parameters}  # fmt: skip


#: A bootstrap: its checkpoints come between replicate batches (held there by the tests).
BOOTSTRAP = {"analysis": "bootstrap", "replicates": MAX_REPLICATES}


def test_a_killed_workers_job_is_retried_then_failed_never_stuck(
    api, app, population, start_worker, held_jobs
):
    first = start_worker(JOB_MAX_ATTEMPTS=2)
    job_id = api.post("/api/jobs", json=study(**BOOTSTRAP)).json["id"]
    assert api.wait(job_id, ("running",))["state"] == "running"  # held: it stays running
    first.kill()
    first.wait()
    make_heartbeat_stale(app, job_id)

    second = start_worker(JOB_MAX_ATTEMPTS=2)  # its reaper finds the stale heartbeat
    retried = api.wait_until(job_id, lambda j: j["state"] == "running" and j["attempts"] == 2)
    assert (retried["state"], retried["attempts"]) == ("running", 2)
    assert "worker stopped" in retried["error"]
    claimed = heartbeat(app, job_id)
    beating = api.wait_until(job_id, lambda _job: heartbeat(app, job_id) > claimed)
    assert heartbeat(app, job_id) > claimed  # a held job's worker still beats
    assert beating["state"] == "running"  # and its own reaper leaves it alone
    second.kill()
    second.wait()
    make_heartbeat_stale(app, job_id)

    start_worker(JOB_MAX_ATTEMPTS=2)
    failed = api.wait(job_id, ("failed",))
    assert failed["state"] == "failed"
    assert failed["error"] == "The worker stopped during attempt 2 of 2."
    assert failed["finished_at"] is not None


def test_a_bad_parameter_is_refused_at_creation_not_in_the_worker(api, population):
    for parameters, field in (
        ({"analysis": "model", "model": "[12,3,4]"}, "model"),
        ({"alpha": "NaN"}, "alpha"),
        ({**BOOTSTRAP, "replicates": 1_000_000}, "replicates"),
    ):
        response = api.post("/api/jobs", json=study(**parameters))
        assert response.status_code == 422
        assert [e["field"] for e in response.json["errors"]] == [f"parameters/{field}"]
    assert api.get("/api/jobs").json == []


def test_a_failing_estimation_fails_the_job_with_its_error(api, population, start_worker):
    start_worker()
    # no OST client was initiated in 1995: nothing to compute a retention curve on
    created = api.post("/api/jobs", json={"method": "retention", "period": "1995",
                                          "area_code": "KG"})  # fmt: skip
    assert created.status_code == 202, created.json
    job = api.wait(created.json["id"], ("succeeded", "failed"))
    assert job["state"] == "failed"
    assert job["error"].startswith("ValueError: no OST client initiated")
    result = api.get(f"/api/jobs/{job['id']}/result")
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


def test_a_running_job_is_cancelled_at_its_checkpoint(api, population, start_worker, held_jobs):
    start_worker()
    job_id = api.post("/api/jobs", json=study(**BOOTSTRAP)).json["id"]
    assert api.wait(job_id, ("running",))["state"] == "running"  # held inside the bootstrap
    asked = api.post(f"/api/jobs/{job_id}/cancel").json
    assert (asked["state"], asked["cancel_requested"]) == ("running", True)
    # still held: only the checkpoint's own check can end the job now
    cancelled = api.wait(job_id, ("cancelled", "succeeded", "failed"))
    assert cancelled["state"] == "cancelled" and cancelled["finished_at"] is not None
    assert held_jobs.exists()
    assert api.get(f"/api/jobs/{job_id}/result").status_code == 422  # no result stored


def test_a_released_job_runs_to_its_result(api, population, start_worker, held_jobs):
    start_worker()
    job_id = api.post("/api/jobs", json=study(**BOOTSTRAP)).json["id"]
    assert api.wait(job_id, ("running",))["state"] == "running"
    held_jobs.unlink()
    done = api.wait(job_id, ("succeeded", "failed", "cancelled"))
    assert done["state"] == "succeeded"
    payload = api.get(f"/api/jobs/{job_id}/result").json["payload"]
    assert len(payload["bootstrap"]["values"]) == BOOTSTRAP["replicates"]


def test_a_job_reaped_from_a_live_worker_is_dropped_there_and_run_once(
    api, app, population, start_worker, held_jobs
):
    start_worker()  # one thread: it takes another message only once it dropped this job
    job_id = api.post("/api/jobs", json=study(**BOOTSTRAP)).json["id"]
    assert api.wait(job_id, ("running",))["state"] == "running"
    with app.app_context():  # what the reaper does to a job whose heartbeat looks stale
        job = db.session.get(EstimationJob, job_id)
        job.state, job.worker = "queued", None
        db.session.commit()
        enqueue(job_id)
        db.session.remove()
    # still held: the worker can claim it again only by dropping it at the checkpoint
    again = api.wait_until(job_id, lambda j: j["state"] == "running" and j["attempts"] == 2)
    assert (again["state"], again["attempts"]) == ("running", 2)
    held_jobs.unlink()
    assert api.wait(job_id, ("succeeded", "failed", "cancelled"))["state"] == "succeeded"
    with app.app_context():
        job = db.session.get(EstimationJob, job_id)
        assert job.result is not None and job.attempts == 2
        db.session.remove()


def test_the_bootstrap_reaches_the_checkpoint_between_batches(app, population, registry_data):
    calls: list[int] = []

    def checkpoint(*_progress: int) -> None:  # cancelled while the first batch was fitted
        calls.append(len(calls))
        if len(calls) == 2:
            raise JobStopped(cancelled=True)

    with app.app_context():
        actor = db.session.get(User, registry_data.users["epi"])
        job = studies.create_study(study(analysis="bootstrap"), actor=actor)
        # more replicates than a study may ask for today, so that there are three batches:
        # the method's run itself (compute_result refuses such a stored study)
        job.study.parameters = {**job.study.parameters, "replicates": 25_000}
        with pytest.raises(JobStopped):
            METHODS["capture_recapture"].run(job.study, checkpoint)
        db.session.rollback()
    assert calls == [0, 1]  # before the first batch and after it: 3 batches never fitted
