"""Results stored by the previous version still render, in Russian and in English.

A result's payload is JSON written when the job ran, and the registry keeps results for
years: every reader reads it through its method's typed payload
(``registry.services.methods.payload``), which tolerates the shapes earlier versions
stored. The payloads below are the shapes stored before results recorded their
population and plausibility warnings (issue 14 items 5-7): no ``warnings``, no
``key_population``, a ratio per registered user without its denominator, coverage and
projection sources without a population, an HIV trend that counted every client tested.
Each page must render with a visible note that the result predates these checks, with
its plots and its CSV.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from registry.extensions import db
from registry.models import EstimationJob, EstimationResult, Study
from registry.services.methods import METHODS

ESTIMATE = {"name": "[12,3]", "abundance": 5400.0, "stderr": 310.0, "ci_low": 4850.0,
            "ci_high": 6050.0, "deviance": 1.2, "df": 2, "aic": 40.1, "bic": 45.3,
            "fit_ok": True, "status": "ok", "message": "", "info_fit": "OK", "warnings": [],
            "interval": "lognormal"}  # fmt: skip
SOURCE = {"job": 1, "method": "capture_recapture", "period": "2003", "area": "KG"}

#: One payload per method, as the previous version stored it.
OLD_PAYLOADS = {
    "capture_recapture": {
        "method": "capture_recapture", "analysis": "search", "lists": ["police", "ngo", "ost"],
        "observed": 2100, "registered": 900, "per_registered": 6.0, "estimate": ESTIMATE,
        "models": [ESTIMATE, {**ESTIMATE, "name": "[1,2,3]", "abundance": 4900.0, "aic": 44.0}],
        "parameters": {"analysis": "search", "criterion": "aic", "alpha": 0.05},
    },
    "count_estimators": {
        "method": "count_estimators", "observed": 480, "registered": 0,
        "frequencies": {"1": 300, "2": 120, "3": 60},
        "models": [{"name": "chao", "abundance": 1230.0, "stderr": 90.0, "ci_low": 1070.0,
                    "ci_high": 1430.0, "interval": "log"}],
        "estimate": {"name": "chao", "abundance": 1230.0, "stderr": 90.0, "ci_low": 1070.0,
                     "ci_high": 1430.0, "interval": "log"},
    },
    "multiplier": {
        "method": "multiplier", "benchmark": {"ref": None, "count": 1505},
        "surveys": [{"label": "RDS 2003", "in_benchmark": 100, "sample_size": 400,
                     "design_effect": 1.0, "proportion": 0.25, "abundance": 6020.0,
                     "ci_low": 5000.0, "ci_high": 7300.0, "se_log": 0.09}],
        "estimate": {"pooled": False, "interval": "log", "abundance": 6020.0,
                     "ci_low": 5000.0, "ci_high": 7300.0, "stderr": None},
        "pooling": None, "observed": None, "registered": None, "registered_users": 5600,
        "per_registered": 1.07, "per_registered_ci": [0.9, 1.3], "population": 4867481,
        "rate_per_100k": {"rate": 123.7, "ci_low": 102.7, "ci_high": 150.0},
    },
    "hiv_trend": {
        "method": "hiv_trend", "observed": 930,
        "years": [{"year": 2001 + i, "tested": 310, "positive": 5 + 4 * i,
                   "prevalence": (5 + 4 * i) / 310, "ci_low": (3 + 4 * i) / 310,
                   "ci_high": (8 + 4 * i) / 310} for i in range(3)],
        "trend": {"odds_ratio_per_year": 1.6, "ci_low": 1.2, "ci_high": 2.1,
                  "p_value": 0.001, "apc": 55.0, "apc_low": 20.0, "apc_high": 100.0},
    },
    "retention": {
        "method": "retention", "analysis_date": "2004-12-31", "max_gap_days": 2,
        "cohort": 6, "without_doses": 1, "person_years": 3.5,
        "overall": {"n": 6, "events": 3, "median_days": 300.0, "median_ci": [100.0, None],
                    "at_6_months": {"survival": 0.67, "ci_low": 0.2, "ci_high": 0.9},
                    "at_12_months": {"survival": 0.33, "ci_low": 0.05, "ci_high": 0.7}},
        "groups": {"dose": {"levels": {}, "logrank": None}},
        "cox": None,
        "curves": {"all": {"times": [1.0, 6.0, 12.0], "survival": [0.83, 0.67, 0.33],
                           "ci_low": [0.3, 0.2, 0.05], "ci_high": [0.97, 0.9, 0.7]}},
    },
    "coverage": {
        "method": "coverage", "census_date": "2003-12-31", "on_ost": 1505, "estimate": None,
        "population_estimate": {"abundance": 5400.0, "ci_low": 4850.0, "ci_high": 6050.0,
                                "source": SOURCE},
        "coverage": {"coverage": 0.279, "ci_low": 0.249, "ci_high": 0.31, "band": "medium",
                     "band_low": "medium", "band_high": "medium", "capped": False},
        "target": 0.4,
    },
    # A method added after that change: the shape it stores, without the checks' keys.
    "synthesis": {
        "method": "synthesis",
        "estimate": {"abundance": 5300.0, "ci_low": 4700.0, "ci_high": 6000.0,
                     "stderr": None, "interval": "credible"},
        "consensus": {"tau_scale": 0.5, "tau_median": 0.1, "tau_low": 0.01, "tau_high": 0.6,
                      "q": 0.4, "df": 1, "p_heterogeneity": 0.5, "i_squared": 0.0,
                      "tau_zero": {"abundance": 5280.0, "ci_low": 4900.0, "ci_high": 5700.0}},
        "inputs": [{**SOURCE, "study": 1, "title": "CRC", "abundance": 5400.0,
                    "ci_low": 4850.0, "ci_high": 6050.0, "alpha": 0.05, "weight": 1.0,
                    "approved": True, "input_hash": "0" * 64, "influence": 0.6,
                    "without": 5150.0, "shift": 0.03},
                   {**SOURCE, "job": 2, "method": "multiplier", "study": 2, "title": "RDS",
                    "abundance": 5150.0, "ci_low": 4300.0, "ci_high": 6200.0,
                    "alpha": 0.05, "weight": 0.5, "approved": False, "input_hash": "1" * 64,
                    "influence": 0.4, "without": 5400.0, "shift": -0.02}],
        "disjoint": [], "heterogeneous": False, "observed": None, "registered": None,
    },
    "mim": {
        "method": "mim", "area": "KG", "indicators": ["TDI_ENTRANTS", "REG_CLIENTS"],
        "estimate": {"abundance": 9000.0, "ci_low": 7000.0, "ci_high": 12000.0,
                     "stderr": None, "interval": "prediction", "published": True},
        "regions": [{"code": "KG-C", "name": "Bishkek", "name_ru": "Бишкек",
                     "estimate": 5400.0, "ci_low": 4850.0, "ci_high": 6050.0,
                     "anchor": True, "published": True, "anchor_estimate": 5400.0,
                     "anchor_ci": [4850.0, 6050.0], "anchor_job": 1,
                     "values": {"TDI_ENTRANTS": 300, "REG_CLIENTS": 900}},
                    {"code": "KG-O", "name": "Osh city", "name_ru": "Ош",
                     "estimate": 3600.0, "ci_low": 2200.0, "ci_high": 5900.0,
                     "anchor": False, "published": True,
                     "values": {"TDI_ENTRANTS": 200, "REG_CLIENTS": 610}}],
        "anchors": [{"study": 1, "job": 1, "method": "capture_recapture", "region": "KG-C",
                     "abundance": 5400.0, "ci_low": 4850.0, "ci_high": 6050.0}],
        "pca": {"indicators": ["TDI_ENTRANTS", "REG_CLIENTS"], "loadings": [[0.71, 0.71]],
                "variance_explained": [0.99], "means": [5.5, 6.6], "sds": [0.3, 0.3]},
        "fit": {"intercept": 1.1, "slopes": [0.9], "r_squared": 0.98, "residual_sd": 0.05,
                "df": 1, "tau2": 0.0},
    },
    "projection": {
        "method": "projection", "base_year": 2003,
        "base": {"value": 5400.0, "low": 4850.0, "high": 6050.0, "source": SOURCE},
        "scenarios": {"trend": [5.0, 7.0]},
        "projections": [{"scenario": "trend", "year": 2004, "value": 5700.0, "low": 5090.0,
                         "high": 6470.0}],
    },
}  # fmt: skip
#: The note every such result shows, and a mark of the page's language.
NOTE = 'id="result-predates-checks"'
MARKS = {"ru": "Скачать CSV", "en": "Download CSV"}
NOT_RECORDED = {"ru": "не указана", "en": "not recorded"}
ALL_TESTED = {
    "ru": "все клиенты, прошедшие тест на ВИЧ",
    "en": "every client tested for HIV is counted",
}


@pytest.fixture
def old_results(app, registry_data) -> dict[str, int]:
    """A succeeded job of each method whose result the previous version stored."""
    jobs = {}
    now = datetime.now(UTC)
    with app.app_context():
        for method, payload in OLD_PAYLOADS.items():
            study = Study(title=f"{method} 2003", method=method, parameters={}, lists=[],
                          period="2003", period_start=date(2003, 1, 1),
                          period_end=date(2003, 12, 31),
                          area_id=registry_data.org_units["KG"])  # fmt: skip
            job = EstimationJob(study=study, state="succeeded", finished_at=now)
            result = EstimationResult(job=job, payload=payload, input_hash="0" * 64,
                                      software_version="0.9", started_at=now,
                                      finished_at=now)  # fmt: skip
            db.session.add_all([study, job, result])
            db.session.flush()
            jobs[method] = job.id
        db.session.commit()
    return jobs


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_every_method_renders_a_result_stored_by_the_previous_version(
    auth, client, old_results, locale
):
    assert set(old_results) == set(METHODS)  # a new method must add its old shape here
    auth.login("epi")
    auth.post("/language", {"locale": locale, "next": "/"}, form_path="/login")
    for method, job_id in old_results.items():
        page = client.get(f"/studies/jobs/{job_id}")
        assert page.status_code == 200, (method, locale)
        text = page.get_data(as_text=True)
        assert MARKS[locale] in text and NOTE in text, (method, locale)
        if METHODS[method].estimates_population:
            assert f'id="key-population">{NOT_RECORDED[locale]}<' in text, method
        for name in METHODS[method].plots(METHODS[method].read(OLD_PAYLOADS[method])):
            image = client.get(f"/studies/jobs/{job_id}/plots/{name}.png")
            assert image.status_code == 200 and image.data.startswith(b"\x89PNG"), name
        csv = client.get(f"/studies/jobs/{job_id}/result.csv")
        assert csv.status_code == 200 and csv.get_data(as_text=True).count("\n") >= 2, method
    hiv = client.get(f"/studies/jobs/{old_results['hiv_trend']}").get_data(as_text=True)
    assert ALL_TESTED[locale] in hiv  # the old trend says it did not read PWID only


def test_the_typed_payload_keeps_every_number_of_an_old_result():
    # nothing is lost on the way: the typed payload's CSV rows hold the stored numbers
    method = METHODS["multiplier"]
    payload = method.read(OLD_PAYLOADS["multiplier"])
    assert payload.warnings is None and payload.predates_checks
    assert payload.key_population is None and payload.population is None
    assert payload.population_count == 4867481 and payload.rate_per_100k.rate == 123.7
    assert method.rows(payload)[0]["abundance"] == 6020.0
    assert method.estimate(payload).abundance == 6020.0
    coverage = METHODS["coverage"].read(OLD_PAYLOADS["coverage"])
    assert coverage.population is None and coverage.population_estimate.source.job == 1
