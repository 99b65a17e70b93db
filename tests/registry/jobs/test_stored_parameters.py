"""A study stored before a parameter bound existed is validated again when it runs.

``StudySchema`` refuses a bad parameter when a study is created, but studies stay in the
database: one stored by an earlier version (before ``max_order`` had its bound, before
``alpha`` was checked) may hold a value the method now refuses. Running it (the worker,
a job queued again by the reaper) or queueing it again must go through the method's
schema and refuse clearly, naming the parameter, never hand the value to the
computation.
"""

from __future__ import annotations

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from registry.extensions import db
from registry.jobs.runner import run_job
from registry.models import EstimationJob, EstimationResult, Study, User
from registry.services.studies import rerun_study
from tests.registry.web import study_fixtures

study_records = study_fixtures.study_records

#: Values earlier versions stored, and the parameter path the refusal must name.
STALE = [
    ({"max_order": 99}, "parameters/max_order"),
    ({"alpha": "NaN"}, "parameters/alpha"),
    ({"no_such_parameter": 1}, "parameters/no_such_parameter"),
]


def stale_study(api, study_records, stale: dict) -> tuple[int, int]:
    """A study created through the API (its job queued), whose stored parameters then get
    the ``stale`` values an earlier version let through."""
    created = api.post("/api/jobs", json={
        "method": "capture_recapture", "period": "2003", "area_code": "KG",
        "lists": [f"upload:{i}" for i in study_records.list_ids],
        "parameters": {"analysis": "search"},
    })  # fmt: skip
    assert created.status_code == 202, created.json
    job = db.session.get(EstimationJob, created.json["id"])
    job.study.parameters = {**job.study.parameters, **stale}
    db.session.commit()
    return job.study_id, job.id


@pytest.mark.parametrize(("stale", "path"), STALE)
def test_running_a_study_the_method_now_refuses_fails_naming_the_parameter(
    app, api, study_records, stale, path
):
    with app.app_context():
        study_id, job_id = stale_study(api, study_records, stale)
        results = db.session.scalar(select(func.count()).select_from(EstimationResult))
        assert run_job(job_id) == "failed"
        db.session.remove()
    job = api.get(f"/api/jobs/{job_id}").json
    assert job["state"] == "failed"
    assert path in job["error"] and "make a new study" in job["error"], job["error"]
    assert api.get(f"/api/jobs/{job_id}/result").status_code == 422  # no result stored
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EstimationResult)) == results


def test_queueing_it_again_is_refused_and_queues_nothing(app, api, registry_data, study_records):
    with app.app_context():
        study_id, _ = stale_study(api, study_records, {"max_order": 99})
        jobs = db.session.scalar(select(func.count()).select_from(EstimationJob))
        study = db.session.get(Study, study_id)
        with pytest.raises(ValidationError) as refused:
            rerun_study(study, actor=db.session.get(User, registry_data.users["epi"]))
        db.session.rollback()
        assert "max_order" in refused.value.messages["parameters"]
        assert db.session.scalar(select(func.count()).select_from(EstimationJob)) == jobs
