"""Multiplier, retention, coverage and projection studies through the JSON API.

Invalid parameters are problem details naming the parameter (``parameters/...``); a
retention study runs on the real worker and equals the hand-computed curve; a coverage
study builds on it only once the source job has succeeded.
"""

from __future__ import annotations

import csv
import io

import pytest

from estimation.projection import project
from tests.registry.jobs.test_methods_services import ANALYSIS_DATE, ost_records  # noqa: F401
from tests.registry.web.study_fixtures import run_job

STUDY = {"period": "2003", "area_code": "KG"}


def fields_of(response) -> set[str]:
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    return {error["field"] for error in response.json["errors"]}


@pytest.mark.parametrize(
    ("study", "field"),
    [
        ({"method": "multiplier", "parameters": {"benchmark": 9, "surveys": [
            {"in_benchmark": 11, "sample_size": 10}]}}, "parameters/surveys/0/in_benchmark"),
        ({"method": "multiplier", "parameters": {"surveys": [
            {"in_benchmark": 1, "sample_size": 10}]}}, "parameters/benchmark"),
        ({"method": "projection", "parameters": {"base": 10, "base_low": 20}},
         "parameters/base_low"),
        ({"method": "projection", "parameters": {"base": 10, "base_high": 5}},
         "parameters/base_high"),
        ({"method": "coverage", "parameters": {"estimate": 40, "estimate_low": 41}},
         "parameters/estimate_low"),
        ({"method": "coverage", "parameters": {"estimate": 40, "estimate_high": 39}},
         "parameters/estimate_high"),
        ({"method": "projection", "parameters": {"base": 10, "horizon": 9}},
         "parameters/horizon"),
        ({"method": "coverage", "parameters": {"source_job": 404}}, "parameters/source_job"),
        ({"method": "coverage", "parameters": {"source_job": 2**40}}, "parameters/source_job"),
        ({"method": "coverage", "parameters": {}}, "parameters/estimate"),
        ({"method": "retention", "parameters": {"max_gap_days": -1}},
         "parameters/max_gap_days"),
        ({"method": "retention", "parameters": {"analysis_date": "2002-12-31"}},
         "parameters/analysis_date"),
        ({"method": "retention", "strata": "sex"}, "strata"),
        ({"method": "retention", "lists": ["registry:hiv_tested"]}, "lists"),
        ({"method": "count_estimators", "lists": []}, "lists"),
    ],
)  # fmt: skip
def test_invalid_parameters_are_problem_details_naming_them(api, study, field):
    assert field in fields_of(api.post("/api/jobs", json={**STUDY, **study}))
    assert api.get("/api/jobs").json == []


def test_retention_on_the_real_worker_then_coverage_on_a_finished_job(
    api,
    ost_records,  # noqa: F811
    start_worker,
):
    start_worker()

    def post(method: str, **study):
        return api.post("/api/jobs", json={**STUDY, "method": method, **study})

    created = post("retention", lists=[], parameters={"analysis_date": ANALYSIS_DATE})
    assert created.status_code == 202, created.json
    assert created.json["lists"] == ["registry:ost"]
    job = api.wait(created.json["id"], ("succeeded", "failed"))
    assert job["state"] == "succeeded", job["error"]
    payload = api.get(f"/api/jobs/{job['id']}/result").json["payload"]
    assert payload["overall"]["at_6_months"]["survival"] == pytest.approx(2 / 3)
    assert payload["overall"]["at_12_months"]["survival"] == pytest.approx(4 / 9)
    # a retention result is no population estimate to build a coverage on
    refused = post("coverage", parameters={"source_job": job["id"]})
    assert "parameters/source_job" in fields_of(refused)
    survey = {"in_benchmark": 1, "sample_size": 4}
    multiplier = post("multiplier", parameters={"benchmark": 10, "surveys": [survey]}).json
    api.wait(multiplier["id"], ("succeeded", "failed"))
    coverage = post("coverage", parameters={"source_job": multiplier["id"]})
    assert coverage.status_code == 202
    done = api.wait(coverage.json["id"], ("succeeded", "failed"))
    assert done["state"] == "succeeded", done["error"]
    result = api.get(f"/api/jobs/{done['id']}/result").json["payload"]
    assert result["coverage"]["coverage"] == pytest.approx(4 / 40)
    assert result["coverage"]["band"] == "low"


def test_projection_result_and_csv(app, api):
    created = api.post("/api/jobs", json={**STUDY, "method": "projection", "parameters": {
        "base": 85509, "horizon": 1, "scenarios": {"trend": [7, 5]}}})  # fmt: skip
    assert created.status_code == 202, created.json
    assert created.json["parameters"]["scenarios"] == {"trend": [5, 7]}
    with app.app_context():
        run_job(created.json["id"])
    payload = api.get(f"/api/jobs/{created.json['id']}/result").json["payload"]
    direct = project(2003, 85509, years=1, scenarios={"trend": (5, 7)})
    assert payload["projections"][0]["value"] == pytest.approx(direct.years[0].value)
    assert round(payload["projections"][0]["value"]) == 90640  # the library's doctest
    rows = list(csv.DictReader(io.StringIO(api.get(
        f"/api/jobs/{created.json['id']}/result.csv").get_data(as_text=True))))  # fmt: skip
    assert [r["row"] for r in rows] == ["base", "projection"]


def test_the_openapi_document_lists_every_method(client):
    document = client.get("/api/openapi.json").json
    method = document["components"]["schemas"]["Study"]["properties"]["method"]
    assert {"multiplier", "retention", "coverage", "projection"} <= set(method["enum"])
