"""The Bayesian analyses of a capture-recapture study: dga and lcmcr.

The payload keeps the estimate keys of the other analyses, with the library's posterior
figures; the result page shows the posterior and each graph's weight, in English and
Russian.
"""

from __future__ import annotations

from datetime import date

import pytest
from marshmallow import ValidationError

from estimation.capture_recapture import CaptureHistories
from estimation.capture_recapture.dga import dga
from registry.extensions import db
from registry.services.errors import ServiceError
from registry.services.methods import capture_recapture as method
from registry.services.methods.capture_recapture_payload import capture_recapture
from registry.services.studies import create_study
from tests.registry.web import study_fixtures
from tests.registry.web.conftest import AuthActions
from tests.registry.web.study_fixtures import SOURCES, code_lists, run_job

study_records = study_fixtures.study_records


def histories() -> CaptureHistories:
    return CaptureHistories.from_sets(dict(zip(SOURCES, map(set, code_lists()), strict=True)))


@pytest.fixture(scope="module")
def payload() -> dict:
    return capture_recapture(histories(), method.METHOD.load({"analysis": "dga"}), registered=9)


def test_the_estimate_is_the_posterior_in_the_usual_keys(payload):
    post = dga(histories())
    estimate = payload["estimate"]
    assert payload["analysis"] == "dga" and payload["method"] == "capture_recapture"
    assert payload["observed"] == post.observed and payload["registered"] == 9
    assert estimate["name"] == "dga" and estimate["interval"] == "posterior"
    assert estimate["abundance"] == post.median == estimate["median"]
    assert (estimate["ci_low"], estimate["ci_high"]) == post.conf_int()
    assert estimate["stderr"] == pytest.approx(post.stderr)
    assert (estimate["mean"], estimate["mode"]) == (pytest.approx(post.mean), post.mode)
    details = payload["posterior"]
    assert details["delta"] == 1 / 8  # 2^-k for three lists
    assert details["graphs"] == post.details["graphs"] and details["graph_count"] == 8
    assert details["warnings"] == []
    assert "abundance" not in details and "name" not in details


def test_delta_is_a_checked_parameter():
    assert method.METHOD.load({"analysis": "dga", "delta": 0.5})["delta"] == 0.5
    for bad in (-1, 0, 11, "x"):
        with pytest.raises(ValidationError) as error:
            method.METHOD.load({"analysis": "dga", "delta": bad})
        assert "delta" in error.value.messages["parameters"]
    loaded = method.METHOD.load({"analysis": "dga", "delta": 0.5})
    chosen = capture_recapture(histories(), loaded, registered=0)
    assert chosen["posterior"]["delta"] == 0.5


def test_dga_needs_three_to_six_lists():
    p = method.METHOD.load({"analysis": "dga"})
    period = (date(2003, 1, 1), date(2003, 12, 31))
    with pytest.raises(ServiceError) as error:
        method.check(["upload:1", "upload:2"], p, actor=None, period=period)
    assert error.value.field == "lists"
    seven = [f"upload:{i}" for i in range(7)]
    with pytest.raises(ServiceError):
        method.check(seven, p, actor=None, period=period)
    assert method.check(seven[:3], p, actor=None, period=period) == seven[:3]


def test_strata_are_refused_with_a_message():
    split = {"F": histories(), "M": histories()}
    with pytest.raises(ServiceError) as error:
        capture_recapture(split, method.METHOD.load({"analysis": "dga"}), registered=0)
    assert error.value.field == "strata"


def test_the_grid_edge_warning_reaches_the_result_warnings():
    sparse = CaptureHistories.from_frequencies(SOURCES, {"100": 30, "010": 25, "001": 40, "110": 1})
    result = capture_recapture(sparse, method.METHOD.load({"analysis": "dga"}), registered=0)
    codes = [w["code"] for w in method.METHOD.warnings(method.METHOD.read(result))]
    assert "grid_edge" in codes


def test_rows_list_each_graph(payload):
    graphs = [
        row for row in method.METHOD.rows(method.METHOD.read(payload)) if row["row"] == "graph"
    ]
    assert [(g["name"], g["weight"]) for g in graphs] == [
        (g["graph"], g["weight"]) for g in payload["posterior"]["graphs"]
    ]


@pytest.mark.parametrize(
    ("locale", "texts"),
    [
        ("en", ("Posterior distribution of the population size", "Posterior median",
                "Graphs averaged, by posterior weight", "Posterior weight", "Bayesian analysis")),
        ("ru", ("Апостериорное распределение численности", "Апостериорная медиана",
                "Усреднённые графы по апостериорному весу", "Апостериорный вес",
                "Байесовский анализ")),
    ],
)  # fmt: skip
def test_the_result_page_shows_the_posterior_and_graph_weights(
    app, client, study_records, registry_data, locale, texts
):
    from registry.models import User

    with app.app_context():
        epi = db.session.get(User, registry_data.users["epi"])
        job = create_study({"method": "capture_recapture", "period": "2003", "area_code": "KG",
                            "lists": [f"upload:{i}" for i in study_records.list_ids],
                            "parameters": {"analysis": "dga"}}, actor=epi)  # fmt: skip
        db.session.commit()
        job_id = job.id
        run_job(job_id)
        result = db.session.get(type(job), job_id).result.payload
    auth = AuthActions(client, registry_data.password)
    auth.login("epi")
    auth.post("/language", {"locale": locale, "next": "/"}, form_path="/login")
    page = client.get(f"/studies/jobs/{job_id}").get_data(as_text=True)
    for text in texts:
        assert text in page
    assert 'id="graph-weights"' in page
    top = result["posterior"]["graphs"][0]
    assert top["graph"] in page
    decimal = "," if locale == "ru" else "."
    assert f"{top['weight']:.3f}".replace(".", decimal) in page
    assert "Chosen model" not in page and "Выбранная модель" not in page


def test_the_lcmcr_analysis_runs_as_a_study_and_reports_its_diagnostics(
    app, client, study_records, registry_data
):
    """The latent-class analysis through a real study: the same seed gives the library's
    posterior, the diagnostics reach the payload, and the page shows the posterior."""
    from estimation.capture_recapture.lcmcr import lcmcr
    from registry.models import User

    with app.app_context():
        epi = db.session.get(User, registry_data.users["epi"])
        job = create_study({"method": "capture_recapture", "period": "2003", "area_code": "KG",
                            "lists": [f"upload:{i}" for i in study_records.list_ids],
                            "parameters": {"analysis": "lcmcr", "seed": 7, "chains": 2}},
                           actor=epi)  # fmt: skip
        db.session.commit()
        job_id = job.id
        run_job(job_id)
        stored = db.session.get(type(job), job_id)
        assert stored.state == "succeeded", stored.error
        result = stored.result.payload
    post = lcmcr(histories(), seed=7, chains=2)
    estimate = result["estimate"]
    assert result["analysis"] == "lcmcr" and estimate["name"] == "lcmcr"
    assert estimate["abundance"] == post.median
    assert (estimate["ci_low"], estimate["ci_high"]) == post.conf_int()
    assert result["posterior"]["chains"] == 2
    assert result["posterior"]["rhat"] == pytest.approx(post.details["rhat"])
    codes = {w["code"] for w in result["warnings"]}
    assert {w.code for w in post.warnings} <= codes  # poor mixing is shown, not hidden
    auth = AuthActions(client, registry_data.password)
    auth.login("epi")
    page = client.get(f"/studies/jobs/{job_id}").get_data(as_text=True)
    assert "Апостериорная медиана" in page


def test_the_saturated_graph_warning_reaches_the_result_warnings():
    from estimation.capture_recapture.scenarios import simulate_scenario
    from estimation.capture_recapture.validation import Cell

    cell = Cell("heterogeneity", population=20_000, lists=3)  # replicate 0 of the table
    heterogeneous = simulate_scenario(cell.scenario, population=20_000, lists=3,
                                      seed=cell.seed(0))  # fmt: skip
    result = capture_recapture(heterogeneous, method.METHOD.load({"analysis": "dga"}), registered=0)
    codes = [w["code"] for w in method.METHOD.warnings(method.METHOD.read(result))]
    assert "saturated_graph" in codes
