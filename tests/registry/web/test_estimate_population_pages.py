"""Issue 14 items 5-7 on the pages and through the APIs, in Russian and in English.

One "estimated users per registered user" (the same number on the result page, in the
job API, in the analytics API and on the ministry dashboard, with its denominator named),
the population each estimate is of (result, publication section, dashboard), and coded
plausibility warnings (result page and job API). ``ost_records`` puts two people on the
narcological register at the end of 2003 (test_methods_services).
"""

from __future__ import annotations

import re

import pytest

from registry.extensions import db
from registry.models import EstimationJob, EstimationResult, User
from registry.services import approvals
from registry.services.studies import create_study
from tests.registry.conftest import PASSWORD
from tests.registry.jobs.test_methods_services import ost_records  # noqa: F401 - fixture
from tests.registry.web.conftest import AuthActions
from tests.registry.web.study_fixtures import run_job

SURVEYS = [{"in_benchmark": 100, "sample_size": 400}, {"in_benchmark": 140, "sample_size": 380}]
#: What each language calls things on the pages.
WORDS = {
    "ru": {"pwud": "Все потребители наркотиков", "register": "на наркологическом учёте",
           "below": "ниже", "coverage": "не является индикатором UNAIDS/WHO",
           "zero": "нулевой ширины", "population": "Оцениваемая популяция",
           "dashboard": "не является этим индикатором"},
    "en": {"pwud": "All people who use drugs", "register": "on the narcological register",
           "below": "is below the", "coverage": "is not the UNAIDS/WHO indicator",
           "zero": "zero width", "population": "Population estimated",
           "dashboard": "is not that indicator"},
}  # fmt: skip


@pytest.fixture
def app_config() -> dict:
    """No suppression: the register of two people is published on the dashboard."""
    return {"SUPPRESSION_THRESHOLD": 1}


@pytest.fixture
def jobs(app, registry_data, ost_records):  # noqa: F811
    """Succeeded jobs of KG 2003: ``{"users", "below", "coverage", "retention"}``."""
    with app.app_context():
        epi = db.session.get(User, registry_data.users["epi"])

        def run(method: str, **parameters) -> int:
            data = {"method": method, "lists": [], "period": "2003", "area_code": "KG",
                    "parameters": parameters}  # fmt: skip
            job = create_study(data, actor=epi)
            db.session.commit()
            run_job(job.id)
            return job.id

        found = {"users": run("multiplier", benchmark=1505, surveys=SURVEYS)}
        found["below"] = run("multiplier", benchmark=1, interval="wilson",
                             surveys=[{"in_benchmark": 5, "sample_size": 5}])  # fmt: skip
        found["coverage"] = run("coverage", source_job=found["users"])
        found["retention"] = run("retention", analysis_date="2004-12-31", group="sex")
        result = db.session.get(EstimationJob, found["users"]).result
        approvals.approve_result(result, actor=epi)
        db.session.commit()
        db.session.remove()
    return found


def signed_in(client, locale: str, username: str = "epi") -> None:
    auth = AuthActions(client, PASSWORD)
    auth.login(username)
    auth.post("/language", {"locale": locale, "next": "/"}, form_path="/login")


def payload(app, job_id: int) -> dict:
    with app.app_context():
        found = db.session.scalar(
            db.select(EstimationResult).where(EstimationResult.job_id == job_id)
        )
        data = dict(found.payload)
        db.session.remove()
    return data


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(dd|p|section)>', html, re.S)
    assert found, element_id
    return re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip()


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_same_study_gives_the_same_ratio_on_every_page_and_api(app, client, jobs, locale):
    from registry.studies_web.common import format_number

    signed_in(client, locale)
    stored = payload(app, jobs["users"])
    assert stored["registered_users"] == 2
    ratio = round(stored["per_registered"], 2)
    with app.test_request_context(), app.app_context():
        from flask_babel import force_locale

        with force_locale(locale):
            shown = format_number(ratio, 2)
    # the result page: the ratio, and what it divides by
    page = client.get(f"/studies/jobs/{jobs['users']}").get_data(as_text=True)
    line = text_of(page, "per-registered")
    assert (
        line.startswith(re.sub(r"\s+", " ", shown))
        and WORDS[locale]["register"] in line
        and "31.12.2003" in line
    )
    # the job API: the same ratio, its denominator named
    api = client.get(f"/api/jobs/{jobs['users']}/result").json["payload"]
    assert round(api["per_registered"], 2) == ratio
    assert api["per_registered_denominator"] == "register_at_period_end"
    assert api["registered_users"] == 2 and api["registered_on"] == "2003-12-31"
    # the analytics API and the dashboard (a ministry user), from the approved result
    signed_in(client, locale, "ministry")
    rows = client.get("/api/v1/analytics", query_string={
        "dx": "EST_PER_REG;REG_CLIENTS", "pe": "2003", "ou": "KG"}).json["rows"]  # fmt: skip
    values = {row[0]: row[-2] for row in rows}
    assert values["EST_PER_REG"] == ratio and values["REG_CLIENTS"] == 2
    dashboard = client.get("/ministry/?year=2003").get_data(as_text=True)
    assert f"<td>{shown}</td>" in dashboard
    assert WORDS[locale]["register"] in dashboard  # the column names its denominator


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_the_population_is_on_the_result_the_approval_and_the_dashboard(app, client, jobs, locale):
    signed_in(client, locale)
    page = client.get(f"/studies/jobs/{jobs['users']}").get_data(as_text=True)
    assert text_of(page, "key-population") == WORDS[locale]["pwud"]
    assert WORDS[locale]["pwud"] in text_of(page, "approval-population")
    signed_in(client, locale, "ministry")
    dashboard = client.get("/ministry/?year=2003").get_data(as_text=True)
    assert WORDS[locale]["population"] in dashboard and WORDS[locale]["pwud"] in dashboard
    # coverage of KG divides by that estimate of all users: flagged on the dashboard
    assert 'data-code="coverage_population"' in dashboard
    assert WORDS[locale]["dashboard"] in text_of(dashboard, "coverage-warning")
    meta = client.get("/api/v1/analytics", query_string={
        "dx": "OST_COVERAGE", "pe": "2003", "ou": "KG"}).json["metaData"]  # fmt: skip
    assert meta["estimatePopulations"] == [
        {
            "pe": "2003",
            "ou": "KG",
            "population": "pwud",
            "method": "multiplier",
            "warning": "coverage_population",
        }
    ]


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_warnings_are_shown_on_the_result_and_coded_in_the_api(app, client, jobs, locale):
    signed_in(client, locale)
    expected = {
        "below": "estimate_below_registered",
        "coverage": "coverage_population",
        "retention": "zero_width_interval",
    }
    for name, code in expected.items():
        page = client.get(f"/studies/jobs/{jobs[name]}").get_data(as_text=True)
        assert 'id="result-warnings"' in page, name
        assert f'data-code="{code}"' in page, name
        api = client.get(f"/api/jobs/{jobs[name]}/result").json["payload"]
        assert code in [w["code"] for w in api["warnings"]], name
    below = client.get(f"/studies/jobs/{jobs['below']}").get_data(as_text=True)
    assert WORDS[locale]["below"] in text_of(below, "result-warnings")
    retention = client.get(f"/studies/jobs/{jobs['retention']}").get_data(as_text=True)
    assert WORDS[locale]["zero"] in text_of(retention, "result-warnings")
    coverage = client.get(f"/studies/jobs/{jobs['coverage']}").get_data(as_text=True)
    assert WORDS[locale]["coverage"] in text_of(coverage, "result-warnings")
    assert text_of(coverage, "key-population") == WORDS[locale]["pwud"]
    # a plausible estimate carries none
    fine = client.get(f"/studies/jobs/{jobs['users']}").get_data(as_text=True)
    assert 'id="result-warnings"' not in fine
    assert client.get(f"/api/jobs/{jobs['users']}/result").json["payload"]["warnings"] == []


def test_the_api_takes_the_population_and_returns_it(app, client, jobs):
    signed_in(client, "en")
    token = client.get("/api/csrf-token").json
    created = client.post(
        "/api/jobs",
        json={"method": "multiplier", "period": "2003", "area_code": "KG", "lists": [],
              "parameters": {"benchmark": 1505, "surveys": SURVEYS,
                             "key_population": "opioid_pwid"}},
        headers={"X-CSRFToken": token["csrf_token"]},
    )  # fmt: skip
    assert created.status_code == 202, created.json
    with app.app_context():
        run_job(created.json["id"])
    got = client.get(f"/api/jobs/{created.json['id']}/result").json["payload"]
    assert got["key_population"] == "opioid_pwid"
