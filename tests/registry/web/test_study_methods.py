"""Multiplier, retention, coverage and projection studies through the new-study form.

The form's fields become each method's parameters; errors land beside the fields; the
job page shows each method's section (and the Kaplan-Meier plot for retention); the CSV
and JSON downloads hold the same numbers. Jobs run as the worker runs them (``run_job``).
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from estimation.multiplier import multiplier_estimate
from estimation.pooling import combine_multipliers
from registry.extensions import db
from tests.registry.jobs.test_methods_services import ost_records  # noqa: F401 - fixture
from tests.registry.web.conftest import assert_no_identifiers
from tests.registry.web.study_fixtures import run_job

FORM = {"period": "2003", "area_code": "KG"}


@pytest.fixture
def epi(auth):
    """Signed in as the epidemiologist, English interface."""
    auth.login("epi")
    auth.post("/language", {"locale": "en", "next": "/"}, form_path="/login")
    return auth


def text(response) -> str:
    return response.get_data(as_text=True)


GENERAL = ("method", "lists", "title", "period", "area_code", "strata")


def form(**fields) -> dict:
    """The new-study form's inputs: the method's parameters are ``parameters/<name>``,
    a survey's ``parameters/surveys/<row>/<name>`` (``survey_1_label`` is row 0)."""
    posted = dict(FORM)
    for name, value in fields.items():
        if name.startswith("survey_"):
            _, row, key = name.split("_", 2)
            name = f"surveys/{int(row) - 1}/{key}"
        plain = name in GENERAL or name.startswith("parameters/")
        posted[name if plain else f"parameters/{name}"] = value
    return posted


def submit(epi, app, **fields) -> int:
    """Post the new-study form, run the job; return its id."""
    response = epi.post("/studies/new", form(**fields))
    assert response.status_code == 302, text(response)
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        run_job(job_id)
    return job_id


def test_every_method_is_offered(epi, client):
    page = text(client.get("/studies/new"))
    for method in ("multiplier", "retention", "coverage", "projection"):
        assert f'value="{method}"' in page
    assert 'name="parameters/alpha"' in page  # capture-recapture's, the default method
    multiplier = text(client.get("/studies/new?method=multiplier"))
    assert 'name="parameters/surveys/2/design_effect"' in multiplier
    assert 'name="parameters/census_date"' not in multiplier
    assert 'name="parameters/census_date"' in text(client.get("/studies/new?method=coverage"))


def test_a_multiplier_from_the_form_pools_its_surveys(epi, client, app, ost_records):  # noqa: F811
    job_id = submit(
        epi, app, method="multiplier", lists="registry:ost", **{
            "parameters/interval": "log", "parameters/surveys/0/label": "RDS",
            "parameters/surveys/0/in_benchmark": "2", "parameters/surveys/0/sample_size": "10",
            "parameters/surveys/1/in_benchmark": "3", "parameters/surveys/1/sample_size": "12",
            "parameters/surveys/1/design_effect": "1.5"},
    )  # fmt: skip
    pooled = combine_multipliers([multiplier_estimate(7, 10, 2, method="log"),
        multiplier_estimate(7, 12, 3, design_effect=1.5, method="log")])  # fmt: skip
    page = text(client.get(f"/studies/jobs/{job_id}"))
    assert "Succeeded" in page and "Multiplier" in page and "RDS" in page
    assert f"{pooled.estimate:,.0f}" in page.replace("\u202f", ",").replace("\xa0", ",")
    assert "Estimated users per 100,000 population" in page
    rows = list(csv.DictReader(io.StringIO(text(client.get(f"/studies/jobs/{job_id}/result.csv")))))
    assert [r["row"] for r in rows] == ["estimate", "survey", "survey"]
    assert float(rows[0]["abundance"]) == pytest.approx(pooled.estimate)
    document = json.loads(text(client.get(f"/studies/jobs/{job_id}/result.json")))
    assert document["result"]["estimate"]["ci_high"] == pytest.approx(pooled.ci_high)
    assert document["study"]["parameters"]["surveys"][1]["design_effect"] == 1.5
    assert_no_identifiers(page)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"surveys/0/in_benchmark": "12", "surveys/0/sample_size": "10", "benchmark": "5"},
         "surveys/0/in_benchmark"),
        ({"surveys/0/in_benchmark": "2", "surveys/0/sample_size": "10"}, "benchmark"),
        ({"surveys/0/in_benchmark": "10", "surveys/0/sample_size": "10", "benchmark": "5"},
         "interval"),
        ({"benchmark": "5"}, "surveys"),
    ],
)  # fmt: skip
def test_multiplier_errors_sit_beside_their_fields(epi, client, app, fields, field):
    parameters = {f"parameters/{name}": value for name, value in fields.items()}
    response = epi.post("/studies/new", {**FORM, "method": "multiplier", **parameters})
    assert response.status_code == 422
    assert f'id="e-parameters/{field}"' in text(response)
    with app.app_context():
        from registry.models import Study

        assert db.session.query(Study).count() == 0


def test_retention_page_shows_the_table_and_the_kaplan_meier_plot(epi, client, app, ost_records):  # noqa: F811
    job_id = submit(epi, app, method="retention", analysis_date="2004-12-31", group="sex",
                    cox="true")  # fmt: skip
    page = text(client.get(f"/studies/jobs/{job_id}"))
    assert "Retention on OST" in page and "Retained at 6 months" in page
    assert "66.7" in page and "44.4" in page  # 2/3 and 4/9, by hand
    assert "Women" in page and "Log-rank test by sex" in page and "Hazard ratio" in page
    assert f"/studies/jobs/{job_id}/plots/retention.png" in page
    plot = client.get(f"/studies/jobs/{job_id}/plots/retention.png")
    assert plot.status_code == 200 and plot.data.startswith(b"\x89PNG")
    rows = list(csv.DictReader(io.StringIO(text(client.get(f"/studies/jobs/{job_id}/result.csv")))))
    assert rows[0]["row"] == "all" and float(rows[0]["survival_12m"]) == pytest.approx(4 / 9)


def test_coverage_from_a_finished_job_and_its_errors(epi, client, app, ost_records):  # noqa: F811
    source = submit(epi, app, method="multiplier", benchmark="10",
                    survey_1_in_benchmark="1", survey_1_sample_size="4")  # fmt: skip
    offered = text(client.get("/studies/new?method=coverage"))
    assert (
        f'<option value="{source}">#{source} · multiplier 2003 · 2003 · KG · 40</option>' in offered
    )
    missing = epi.post("/studies/new", form(method="coverage", source_job="999"))
    assert missing.status_code == 422 and 'id="e-parameters/source_job"' in text(missing)
    both = epi.post("/studies/new", form(method="coverage", source_job=str(source),
                                         estimate="50"))  # fmt: skip
    assert both.status_code == 422 and 'id="e-parameters/estimate"' in text(both)
    job_id = submit(epi, app, method="coverage", source_job=str(source),
                    census_date="2003-12-31")  # fmt: skip
    page = text(client.get(f"/studies/jobs/{job_id}"))
    # 4 clients on OST on 2003-12-31 / 40 estimated = 10%, WHO band low
    assert "OST coverage" in page and "10.0" in page and "low" in page
    assert f'href="/studies/jobs/{source}"' in page


def test_projection_from_typed_scenarios(epi, client, app):
    bad = epi.post("/studies/new", form(method="projection", base="5600",
                                        scenarios="trend 5 to 7"))  # fmt: skip
    assert bad.status_code == 422 and 'id="e-parameters/scenarios"' in text(bad)
    job_id = submit(epi, app, method="projection", base="5600", horizon="1",
                    scenarios="trend=5:7; flat=0:0")  # fmt: skip
    page = text(client.get(f"/studies/jobs/{job_id}"))
    assert "Projection" in page and "flat" in page
    rows = list(csv.DictReader(io.StringIO(text(client.get(f"/studies/jobs/{job_id}/result.csv")))))
    assert [(r["scenario"], r["year"]) for r in rows] == [("", "2003"), ("trend", "2004"),
                                                          ("flat", "2004")]  # fmt: skip
    assert float(rows[1]["value"]) == pytest.approx(5600 * 1.06)
    assert float(rows[2]["value"]) == pytest.approx(5600)


def test_every_result_section_renders_in_russian(epi, client, app, ost_records):  # noqa: F811
    jobs = [
        submit(epi, app, method="multiplier", benchmark="1505", survey_1_in_benchmark="100",
               survey_1_sample_size="400", survey_2_in_benchmark="140",
               survey_2_sample_size="380"),
        submit(epi, app, method="retention", analysis_date="2004-12-31", cox="true"),
        submit(epi, app, method="coverage", estimate="40", estimate_low="30",
               estimate_high="60"),
        submit(epi, app, method="projection", base="5600"),
    ]  # fmt: skip
    epi.post("/language", {"locale": "ru", "next": "/"}, form_path="/login")
    pages = [text(client.get(f"/studies/jobs/{job_id}")) for job_id in jobs]
    assert "Объединено в логарифмической шкале" in pages[0]
    assert "Удержаны через 12 месяцев" in pages[1] and "Лог-ранговый критерий по дозе" in pages[1]
    # 4 / 60 = 6.7% and 4 / 30 = 13.3%: low in both bounds, the WHO bands explained
    assert "Уровень по ВОЗ" in pages[2] and "низкий" in pages[2] and "Уровни ВОЗ" in pages[2]
    assert "от 5,0% до 7,0% в год" in pages[3]
    assert "Параметры метода: Метод мультипликатора" in text(
        client.get("/studies/new?method=multiplier")
    )


def test_without_scripts_the_button_shows_the_chosen_methods_parameters(epi, client, app):
    posted = {
        **FORM,
        "title": "Прогноз",
        "method": "projection",
        "action": "choose",
        "parameters/alpha": "0.05",
    }  # fmt: skip  (capture-recapture's, left behind)
    page = epi.post("/studies/new", posted)
    assert page.status_code == 200
    body = text(page)
    assert 'name="parameters/scenarios"' in body and 'name="parameters/alpha"' not in body
    assert 'value="Прогноз"' in body and 'value="2003"' in body  # the general fields stay
    assert 'value="trend=5:7; best=-3:-2; worst=4:5"' in body  # the schema's defaults
    with app.app_context():
        from registry.models import Study

        assert db.session.query(Study).count() == 0
