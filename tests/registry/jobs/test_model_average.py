"""The default capture-recapture analysis: the model average over the model search, by
BIC (AIC when a warning says the models disagree; docs/validation.md).

The payload is checked against formulas computed here by hand from the model rows it
reports (Buckland, Burnham & Augustin 1997: weights exp(-Δ/2) normalised, unconditional
standard error; Chao's log-transformed interval), and the pages show it.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image
from scipy.stats import norm

from estimation.capture_recapture import CaptureHistories, search_models
from estimation.capture_recapture.diagnostics import heterogeneity_check
from registry import plots
from registry.extensions import db
from registry.services.methods import capture_recapture as method
from registry.services.methods.capture_recapture_payload import capture_recapture
from registry.services.studies import create_study
from tests.registry.web import study_fixtures
from tests.registry.web.conftest import AuthActions
from tests.registry.web.study_fixtures import SOURCES, code_lists, run_job

study_records = study_fixtures.study_records


@pytest.fixture(scope="module")
def payload() -> dict:
    histories = CaptureHistories.from_sets(dict(zip(SOURCES, map(set, code_lists()), strict=True)))
    return capture_recapture(histories, method.METHOD.load({}), registered=100)


def test_the_default_analysis_is_the_aic_average(payload):
    assert method.METHOD.defaults()["analysis"] == "average"
    assert method.METHOD.defaults()["criterion"] == "aic"
    assert next(iter(method.ANALYSES)) == "average"
    assert payload["analysis"] == "average"
    assert payload["selection"] == {"criterion": "aic"}
    estimate = payload["estimate"]
    assert estimate["name"] == "average (AIC)" and estimate["criterion"] == "aic"
    assert estimate["interval"] == "chao_log"


def test_auto_is_the_bic_average_unless_the_models_show_strain(payload):
    histories = CaptureHistories.from_sets(dict(zip(SOURCES, map(set, code_lists()), strict=True)))
    auto = capture_recapture(histories, method.METHOD.load({"criterion": "auto"}), registered=0)
    assert auto["selection"]["criterion"] == "auto" and auto["selection"]["reason"] is None
    assert auto["estimate"]["name"] == "average (BIC)" and auto["estimate"]["criterion"] == "bic"
    assert auto["selection"]["aic_average"] == payload["estimate"]["abundance"]


def test_weights_estimate_and_interval_follow_the_formulas(payload):
    rows = [m for m in payload["models"] if m["weight"] > 0]
    assert len(rows) == payload["estimate"]["models"] >= 8  # 3 lists: 8 hierarchical models
    aic = np.array([m[payload["estimate"]["criterion"]] for m in rows])
    weights = np.exp(-(aic - aic.min()) / 2)
    weights /= weights.sum()
    assert [m["weight"] for m in rows] == pytest.approx(weights.tolist(), rel=1e-12)
    assert sum(m["weight"] for m in payload["models"]) == pytest.approx(1.0, rel=1e-12)
    estimates = np.array([m["abundance"] for m in rows])
    errors = np.array([m["stderr"] for m in rows])
    mean = float(weights @ estimates)
    stderr = float(weights @ np.sqrt(errors**2 + (estimates - mean) ** 2))
    estimate = payload["estimate"]
    assert estimate["abundance"] == pytest.approx(mean, rel=1e-12)
    assert estimate["stderr"] == pytest.approx(stderr, rel=1e-12)
    unseen = mean - payload["observed"]
    factor = math.exp(norm.ppf(0.975) * math.sqrt(math.log(1 + stderr**2 / unseen**2)))
    assert estimate["ci_low"] == pytest.approx(payload["observed"] + unseen / factor, rel=1e-9)
    assert estimate["ci_high"] == pytest.approx(payload["observed"] + unseen * factor, rel=1e-9)
    assert min(estimates) <= mean <= max(estimates)


def test_a_bic_average_weights_by_bic():
    histories = CaptureHistories.from_sets(dict(zip(SOURCES, map(set, code_lists()), strict=True)))
    bic = capture_recapture(histories, method.METHOD.load({"criterion": "bic"}), registered=0)
    rows = [m for m in bic["models"] if m["weight"] > 0]
    values = np.array([m["bic"] for m in rows])
    weights = np.exp(-(values - values.min()) / 2)
    assert [m["weight"] for m in rows] == pytest.approx((weights / weights.sum()).tolist())
    assert bic["estimate"]["name"] == "average (BIC)"


def test_the_result_page_shows_the_weights_and_the_plot_marks_the_average(
    app, client, study_records, registry_data
):
    from registry.models import User

    with app.app_context():
        epi = db.session.get(User, registry_data.users["epi"])
        job = create_study({"method": "capture_recapture", "period": "2003", "area_code": "KG",
                            "lists": [f"upload:{i}" for i in study_records.list_ids]},
                           actor=epi)  # fmt: skip
        db.session.commit()
        job_id = job.id
        run_job(job_id)
        result = db.session.get(type(job), job_id).result.payload
    auth = AuthActions(client, registry_data.password)
    auth.login("epi")
    auth.post("/language", {"locale": "en", "next": "/"}, form_path="/login")
    page = client.get(f"/studies/jobs/{job_id}").get_data(as_text=True)
    assert "Model average" in page and "Chosen model" not in page
    assert f"{result['estimate']['models']} models weighted by AIC" in page
    assert '<th class="num">Weight</th>' in page
    top = result["models"][0]
    assert f"{top['weight']:.3f}" in page  # the best model's weight, 3 decimals
    image = client.get(f"/studies/jobs/{job_id}/plots/models.png")
    assert image.status_code == 200
    assert Image.open(io.BytesIO(image.data)).size[0] >= 700
    form = client.get("/studies/new").get_data(as_text=True)
    assert form.index('value="average"') < form.index('value="search"')
    assert 'name="parameters/analysis" value="average" checked' in form


def test_with_strata_each_stratum_is_averaged_and_the_averages_summed():
    lists = [set(codes) for codes in code_lists()]
    women = [{c for c in codes if int(c[0], 16) < 5} for codes in lists]  # a third, by code
    men = [codes - w for codes, w in zip(lists, women, strict=True)]
    strata = {
        name: CaptureHistories.from_sets(dict(zip(SOURCES, group, strict=True)))
        for name, group in (("F", women), ("M", men))
    }
    payload = capture_recapture(strata, method.METHOD.load({}), registered=0)
    each = {
        name: capture_recapture(h, method.METHOD.load({}), registered=0)["estimate"]
        for name, h in strata.items()
    }
    assert payload["strata"] == each  # the unstratified average of each stratum
    total = each["F"]["abundance"] + each["M"]["abundance"]
    stderr = math.hypot(each["F"]["stderr"], each["M"]["stderr"])
    estimate = payload["estimate"]
    assert estimate["name"] == "stratified average (AIC)"
    assert estimate["abundance"] == pytest.approx(total, rel=1e-12)
    assert estimate["stderr"] == pytest.approx(stderr, rel=1e-12)
    unseen = total - payload["observed"]
    factor = math.exp(norm.ppf(0.975) * math.sqrt(math.log(1 + stderr**2 / unseen**2)))
    assert estimate["ci_low"] == pytest.approx(payload["observed"] + unseen / factor, rel=1e-9)
    assert payload["observed"] == sum(h.observed for h in strata.values())
    # each stratum's heterogeneity check, and the study's: the best-fitting one
    for name, h in strata.items():
        check = heterogeneity_check(h, search_models(h, criterion="bic").results)
        assert payload["strata_heterogeneity"][name] == check.to_dict(0.05)
    gains = {name: c["aic_gain"] for name, c in payload["strata_heterogeneity"].items()}
    assert payload["heterogeneity"]["stratum"] == max(gains, key=gains.get)


def red_pixels(png: bytes) -> int:
    """Pixels drawn in the plots' red (the chosen model, the average)."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(int)
    return int((np.abs(pixels - (0xB3, 0x26, 0x1E)).sum(axis=1) < 40).sum())


def test_the_model_comparison_plot_draws_the_average_in_red(payload):
    plain = plots.model_comparison(payload["models"])
    marked = plots.model_comparison(payload["models"], average=payload["estimate"])
    assert red_pixels(plain) == 0
    assert red_pixels(marked) > 300  # a full-height line (the band is lighter)
