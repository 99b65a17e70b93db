"""Synthesis studies: results of one population, area and period combined into a consensus.

Real multiplier studies (typed benchmarks, so the numbers are known) run as the worker
runs them; the synthesis is created through the API, refused with a 422 naming
``parameters/inputs/<i>/job`` for an input it may not combine (nothing stored), computed,
approved, and then published as the area's estimate on the ministry's side.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from estimation.synthesis import SynthesisInput, synthesise
from registry.analytics.estimates import approved_estimates
from registry.extensions import db
from registry.models import EstimationJob, EstimationResult, Study, User
from registry.services.approvals import approve_result
from registry.services.studies import create_study, rerun_study
from tests.registry.jobs.conftest import ApiClient
from tests.registry.web.study_fixtures import run_job

#: benchmark 1000: 115 of 400 in it -> 3478 (2,980-4,060 on the log scale); 100 of 400
#: -> 4000 (3,370-4,740); 40 of 400 -> 10,000 (7,400-13,500), which overlaps neither.
SURVEYS = {"low": (115, 400), "middle": (100, 400), "high": (40, 400)}


def multiplier(registry_data, survey: str, *, period="2003", area="KG", population="pwud"):
    """A succeeded multiplier study's job id (typed benchmark 1000)."""
    in_benchmark, sample = SURVEYS[survey]
    epi = db.session.get(User, registry_data.users["epi"])
    job = create_study({"method": "multiplier", "title": f"multiplier {survey}",
                        "period": period, "area_code": area, "lists": [],
                        "parameters": {"benchmark": 1000, "key_population": population,
                                       "surveys": [{"in_benchmark": in_benchmark,
                                                    "sample_size": sample}]}},
                       actor=epi)  # fmt: skip
    db.session.commit()
    run_job(job.id)
    return job.id


@pytest.fixture
def inputs(app, registry_data) -> dict[str, int]:
    """Three multiplier results of 2003 in KG, the first two approved."""
    with app.app_context():
        jobs = {name: multiplier(registry_data, name) for name in SURVEYS}
        epi = db.session.get(User, registry_data.users["epi"])
        for name in ("low", "middle"):
            approve_result(db.session.get(EstimationJob, jobs[name]).result, actor=epi)
        db.session.commit()
        db.session.remove()
    return jobs


def synthesis(*jobs: int, **parameters) -> dict:
    return {"method": "synthesis", "period": "2003", "area_code": "KG", "lists": [],
            "parameters": {"inputs": [{"job": j} for j in jobs], **parameters}}  # fmt: skip


def counts(app) -> tuple[int, int]:
    with app.app_context():
        found = (db.session.scalar(select(func.count(Study.id))),
                 db.session.scalar(select(func.count(EstimationJob.id))))  # fmt: skip
        db.session.remove()
    return found


def test_a_synthesis_combines_the_results_and_reaches_the_ministry_once_approved(
    api, app, registry_data, inputs
):
    low, middle = inputs["low"], inputs["middle"]
    created = api.post("/api/jobs", json=synthesis(low, middle, tau_scale=0.3))
    assert created.status_code == 202, created.json
    with app.app_context():
        run_job(created.json["id"])
        result = db.session.get(EstimationJob, created.json["id"]).result
        payload = result.payload
        given = []
        for job_id in (low, middle):
            estimate = db.session.get(EstimationJob, job_id).result.payload["estimate"]
            given.append(SynthesisInput(str(job_id), estimate["abundance"], estimate["ci_low"],
                                        estimate["ci_high"]))  # fmt: skip
        expected = synthesise(given, tau_scale=0.3)
        assert payload["estimate"]["abundance"] == pytest.approx(expected.estimate, rel=1e-12)
        assert payload["estimate"]["ci_low"] == pytest.approx(expected.ci_low, rel=1e-12)
        assert 3478 < payload["estimate"]["abundance"] < 4000
        assert [row["job"] for row in payload["inputs"]] == [low, middle]
        assert [row["approved"] for row in payload["inputs"]] == [True, True]
        assert [row["influence"] for row in payload["inputs"]] == pytest.approx(
            [i.weight for i in expected.influences]
        )
        assert payload["key_population"] == "pwud"
        assert payload["warnings"] == []
        # the ministry sees the consensus only once it is approved
        assert approved_estimates(["2003"])[("KG", "2003")].method == "multiplier"
        approve_result(result, actor=db.session.get(User, registry_data.users["epi"]))
        db.session.commit()
        published = approved_estimates(["2003"])[("KG", "2003")]
        assert (published.method, published.result_id) == ("synthesis", result.id)
        assert published.value == pytest.approx(expected.estimate)
        db.session.remove()
    rows = api.get(f"/api/jobs/{created.json['id']}/result.csv").get_data(as_text=True)
    assert rows.splitlines()[0].startswith("row,")
    assert rows.count("\ninput,") == 2
    assert "tau_zero_abundance" in rows.splitlines()[0] and "{" not in rows  # flat cells


def test_disagreeing_and_unapproved_inputs_are_warned(api, app, inputs):
    created = api.post("/api/jobs", json=synthesis(*inputs.values()))
    assert created.status_code == 202, created.json
    with app.app_context():
        run_job(created.json["id"])
        payload = db.session.get(EstimationJob, created.json["id"]).result.payload
        db.session.remove()
    codes = {w["code"]: w for w in payload["warnings"]}
    low, middle, high = inputs.values()
    assert codes["synthesis_disjoint"]["pairs"] == [[low, high], [middle, high]]
    assert "synthesis_heterogeneity" in codes
    assert codes["synthesis_unapproved"]["jobs"] == [inputs["high"]]


def other_inputs(app, registry_data, inputs) -> dict[str, int]:
    """Results the synthesis of ``inputs["low"]`` must refuse, by what is wrong with them."""
    with app.app_context():
        epi = db.session.get(User, registry_data.users["epi"])
        again = rerun_study(db.session.get(EstimationJob, inputs["middle"]).study, actor=epi)
        db.session.commit()
        run_job(again.id)
        found = {
            "period": multiplier(registry_data, "high", period="2004"),
            "area": multiplier(registry_data, "high", area="KG-GB"),
            "population": multiplier(registry_data, "high", population="pwid"),
            "same study": again.id,
        }
        for why, change in (
            ("no interval", {"ci_low": None, "ci_high": None}),
            ("interval without its estimate", {"ci_low": 11000.0}),
        ):
            found[why] = multiplier(registry_data, "high")  # then its payload altered
            result = db.session.get(EstimationJob, found[why]).result
            payload = dict(result.payload)
            payload["estimate"] = {**payload["estimate"], **change}
            result.payload = payload  # as a percentile bootstrap interval can be
            db.session.commit()
        inner = create_study(synthesis(inputs["low"], inputs["middle"]), actor=epi)
        db.session.commit()
        run_job(inner.id)
        found["synthesis"] = inner.id
        db.session.remove()
    return found


def test_inputs_it_may_not_combine_are_refused_naming_them(api, app, registry_data, inputs):
    refused = other_inputs(app, registry_data, inputs)
    before = counts(app)
    cases = [(refused[name], name) for name in refused] + [(999_999, "no such job")]
    for job_id, why in cases:
        first = inputs["middle"] if why == "same study" else inputs["low"]
        response = api.post("/api/jobs", json=synthesis(first, job_id))
        assert response.status_code == 422, (why, response.json)
        assert [e["field"] for e in response.json["errors"]] == ["parameters/inputs/1/job"], why
    assert counts(app) == before


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"inputs": [{"job": 1}]}, "inputs"),
        ({"inputs": [{"job": 1}, {"job": 1}]}, "inputs/1/job"),
        ({"inputs": [{"job": 1}, {"job": 2, "weight": 0}]}, "inputs/1/weight"),
        ({"inputs": [{"job": 1}, {"weight": 1}]}, "inputs/1/job"),
        ({"inputs": [{"job": 1}, {"job": 2}], "tau_scale": -1}, "tau_scale"),
        ({"inputs": [{"job": 1}, {"job": 2}], "tau_scale": "NaN"}, "tau_scale"),
        ({"inputs": "1,2"}, "inputs"),
    ],
)
def test_bad_parameters_are_a_422_naming_them(api, app, parameters, field):
    response = api.post("/api/jobs", json={**synthesis(), "parameters": parameters})
    assert response.status_code == 422, response.json
    assert f"parameters/{field}" in {e["field"] for e in response.json["errors"]}
    assert counts(app) == (0, 0)


def test_lists_are_refused(api, inputs):
    body = {**synthesis(inputs["low"], inputs["middle"]), "lists": ["registry:ost"]}
    response = api.post("/api/jobs", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["lists"]


@pytest.mark.parametrize("username", ["clinic-bishkek", "ministry"])
def test_only_epidemiologists_may_combine_results(client, registry_data, inputs, username):
    api = ApiClient(client, registry_data.password, username)
    response = api.post("/api/jobs", json=synthesis(inputs["low"], inputs["middle"]))
    assert response.status_code == 403


def test_the_result_page_shows_inputs_influences_and_the_plot(api, app, client, inputs):
    created = api.post("/api/jobs", json=synthesis(*inputs.values()))
    job_id = created.json["id"]
    with app.app_context():
        run_job(job_id)
        result_id = db.session.scalar(select(EstimationResult.id).where(
            EstimationResult.job_id == job_id))  # fmt: skip
        db.session.remove()
    assert result_id
    page = client.get(f"/studies/jobs/{job_id}").get_data(as_text=True)
    assert 'id="synthesis-inputs"' in page
    for job in inputs.values():
        assert f'href="/studies/jobs/{job}"' in page
    assert 'data-code="synthesis_disjoint"' in page
    assert f"/studies/jobs/{job_id}/plots/inputs.png" in page
    image = client.get(f"/studies/jobs/{job_id}/plots/inputs.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
