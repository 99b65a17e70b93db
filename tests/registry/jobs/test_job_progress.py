"""A long job's progress: recorded at its checkpoints, shown by the API and the job page.

The bootstrap reports its replicates through the worker's checkpoint; the job is held at
its first checkpoint (``held_jobs``), so the test reads a known progress without racing
the computation, then lets it run and watches the count grow.
"""

from __future__ import annotations

from tests.registry.jobs.test_worker_faults import BOOTSTRAP, study


def test_a_running_bootstrap_reports_replicates_done_of_the_total(
    api, population, start_worker, held_jobs
):
    start_worker()
    job_id = api.post("/api/jobs", json=study(**BOOTSTRAP)).json["id"]
    held = api.wait_until(job_id, lambda job: job["progress_total"] is not None)
    assert (held["state"], held["progress_done"], held["progress_total"]) == (
        "running", 0, BOOTSTRAP["replicates"]
    )  # fmt: skip
    page = api.get(f"/studies/jobs/{job_id}").get_data(as_text=True)
    assert (
        f"выполнено 0 из {BOOTSTRAP['replicates'] // 1000}\xa0000" in page
    )  # Russian, the working language
    assert 'data-progress-text="выполнено {done} из {total}"' in page
    assert [job["progress_total"] for job in api.get("/api/jobs").json] == [BOOTSTRAP["replicates"]]

    held_jobs.unlink()
    moving = api.wait_until(job_id, lambda job: (job["progress_done"] or 0) > 0)
    assert 0 < moving["progress_done"] <= BOOTSTRAP["replicates"]
    api.post(f"/api/jobs/{job_id}/cancel")
    assert api.wait(job_id, ("cancelled", "succeeded"))["progress_total"] == BOOTSTRAP["replicates"]


def test_a_job_that_reports_no_progress_shows_none(api, population):
    job = api.post("/api/jobs", json=study()).json  # no worker: it stays queued
    assert (job["progress_done"], job["progress_total"]) == (None, None)
    page = api.get(f"/studies/jobs/{job['id']}").get_data(as_text=True)
    assert "data-job-progress" in page and " hidden>" in page  # for the script to fill in
