"""Through HTTP with the real worker: what a capture-recapture study says it covers.

Lists drawn from the coverage study's scenarios (:mod:`estimation.capture_recapture.
scenarios`) are uploaded as code lists and studied with the default parameters; the
payload's heterogeneity check, its warnings and the result page (English and Russian)
are compared with the estimation library on the same histories. The seeds are the first
of each scenario whose histories show what a test is about, found here with the library.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from estimation.capture_recapture import CaptureHistories, model_average, search_models
from estimation.capture_recapture.diagnostics import heavy_saturated_weight, heterogeneity_check
from estimation.capture_recapture.scenarios import (
    MANRIQUE_VALLIER_2016,
    simulate_latent_classes,
    simulate_scenario,
)
from tests.registry.web.study_fixtures import code_of, codes_csv

pytestmark = [
    pytest.mark.slow,
    pytest.mark.backend_neutral(
        "the warnings are the library's on the uploaded histories; uploads, the worker and "
        "the study's data path run on both backends in test_upload_jobs and test_end_to_end"
    ),
]


def code_lists(histories: CaptureHistories) -> list[list[str]]:
    """Each list's client codes: person ``i`` of the expanded histories is ``code_of(i)``."""
    rows = np.repeat(histories.patterns, histories.counts, axis=0)
    return [[code_of(i) for i in np.flatnonzero(rows[:, j])] for j in range(rows.shape[1])]


def first_seed(scenario: str, lists: int, condition) -> CaptureHistories:
    """The histories of the first seed of ``scenario`` for which ``condition`` holds."""
    for seed in itertools.count(1):
        histories = simulate_scenario(scenario, population=2000, lists=lists, seed=seed)
        if condition(histories):
            return histories
        assert seed < 50, f"no seed of {scenario} shows the condition"


def run_study(api, histories: CaptureHistories, parameters: dict | None = None) -> tuple:
    refs = []
    for index, codes in enumerate(code_lists(histories)):
        upload = api.upload(codes_csv(codes), kind="codes", source_name=f"list{index + 1}")
        assert upload.status_code == 201, upload.json
        refs.append(upload.json["ref"])
    created = api.post("/api/jobs", json={"method": "capture_recapture", "lists": refs,
                                          "period": "2003", "area_code": "KG",
                                          "parameters": parameters or {}})  # fmt: skip
    assert created.status_code == 202, created.json
    job = api.wait(created.json["id"], ("succeeded", "failed"), timeout=180)
    assert job["state"] == "succeeded", job["error"]
    payload = api.get(f"/api/jobs/{job['id']}/result").json["payload"]
    assert payload["observed"] == histories.observed
    return job["id"], payload


def page(api, job_id: int, locale: str) -> str:
    api.post("/language", data={"locale": locale, "next": "/"})
    return api.get(f"/studies/jobs/{job_id}").get_data(as_text=True)


def detected(histories: CaptureHistories) -> bool:
    check = heterogeneity_check(histories, search_models(histories).results)
    return check is not None and check.detected


def test_heterogeneous_lists_get_the_warning_and_auto_the_aic_average(api, start_worker):
    histories = first_seed("heterogeneity", 4, detected)
    start_worker()
    job_id, payload = run_study(api, histories, {"criterion": "auto"})
    table = search_models(histories)
    check = heterogeneity_check(histories, table.results)
    assert payload["heterogeneity"]["name"] == check.model.name
    assert payload["heterogeneity"]["abundance"] == pytest.approx(check.model.abundance)
    assert payload["heterogeneity"]["detected"] is True
    warning = next(w for w in payload["warnings"] if w["code"] == "heterogeneity")
    assert warning["model"] == check.model.name
    # "auto" switches to the AIC average, whose interval is wider
    assert payload["selection"] == {
        **payload["selection"],
        "used": "aic",
        "reason": "heterogeneity",
    }
    averaged = model_average(table, criterion="aic")
    assert payload["estimate"]["abundance"] == pytest.approx(averaged.abundance, rel=1e-9)
    english = page(api, job_id, "en")
    assert "Heterogeneity check" in english and "People seem to differ" in english
    assert "because the heterogeneity check found" in english
    russian = page(api, job_id, "ru")
    assert "Проверка неоднородности" in russian and "Считайте оценку нижней границей" in russian


def test_independent_lists_get_auto_the_bic_average_and_no_warning(api, start_worker):
    histories = first_seed("independent", 4, lambda h: not detected(h))
    start_worker()
    job_id, payload = run_study(api, histories, {"criterion": "auto"})
    assert payload["heterogeneity"]["detected"] is False
    codes = {w["code"] for w in payload["warnings"]}
    assert not codes & {"heterogeneity", "heterogeneity_disagrees"}
    table = search_models(histories)
    averaged = model_average(table, criterion="bic")
    if payload["selection"]["reason"] is None:
        assert payload["estimate"]["name"] == "average (BIC)"
        assert payload["estimate"]["abundance"] == pytest.approx(averaged.abundance, rel=1e-9)
    english = page(api, job_id, "en")
    assert "Heterogeneity check" in english and "It does not fit better" in english
    assert "People seem to differ" not in english


def manrique_vallier(seed: int) -> CaptureHistories:
    """Five lists of the simulation of Manrique-Vallier (2016), N = 2,000 (docs/validation.md,
    "LCMCR")."""
    return simulate_latent_classes(
        2000, *MANRIQUE_VALLIER_2016, np.random.default_rng([2016, seed])
    )


def test_a_heterogeneity_model_outside_the_interval_warns_though_it_fits_worse(api, start_worker):
    # the log-linear average puts N at several times 2,000; model Mth with Chao's term
    # is near the truth but fits worse by AIC, so only the disagreement can warn
    histories = manrique_vallier(0)
    start_worker()
    job_id, payload = run_study(api, histories)
    table = search_models(histories, criterion="aic")
    check = heterogeneity_check(histories, table.results)
    averaged = model_average(table, criterion="aic")
    low, high = averaged.conf_int(0.05)
    assert not check.detected and not low <= check.model.abundance <= high
    assert averaged.abundance > 4 * 2000 > check.model.abundance
    warning = next(w for w in payload["warnings"] if w["code"] == "heterogeneity_disagrees")
    assert warning["model"] == check.model.name
    assert warning["abundance"] == pytest.approx(check.model.abundance)
    assert (warning["low"], warning["high"]) == pytest.approx((low, high), rel=1e-9)
    assert "heterogeneity" not in {w["code"] for w in payload["warnings"]}
    english = page(api, job_id, "en")
    assert f"estimates {check.model.abundance:,.0f}, outside this result's interval" in english
    assert "but its estimate lies outside this result's interval" in english
    # thousands of 5-list models: the page shows the 25 best, the downloads every one
    models = english.split('<table class="models">')[1].split("</table>")[0]
    assert models.count("<tr") == 1 + 25 and len(payload["models"]) == len(table.results)
    assert f"The 25 best of {len(table.results):,} models are shown" in english
    rows = api.get(f"/studies/jobs/{job_id}/result.csv").get_data(as_text=True).splitlines()
    assert sum(line.startswith("model,") for line in rows) == len(table.results)
    russian = page(api, job_id, "ru")
    assert "Показаны 25 лучших из" in russian
    shown = f"{check.model.abundance:,.0f}".replace(",", "\u00a0")
    assert f"даёт оценку {shown} — вне интервала" in russian
    assert "запустите LCMCR на тех же списках" in russian


def bic_and_aic_best_differ(histories: CaptureHistories) -> bool:
    results = [r for r in search_models(histories).results if r.usable]
    return min(results, key=lambda r: r.aic).name != min(results, key=lambda r: r.bic).name


def test_a_search_by_aic_reports_the_bic_best_model_not_the_aic_best(api, start_worker):
    histories = first_seed("positive", 3, bic_and_aic_best_differ)
    start_worker()
    _, payload = run_study(api, histories, {"analysis": "search", "criterion": "aic"})
    table = search_models(histories, criterion="aic")
    usable = [r for r in table.results if r.usable]
    assert payload["models"][0]["name"] == usable[0].name  # the table is ranked by AIC
    best_bic = min(usable, key=lambda r: r.bic)
    assert payload["estimate"]["name"] == best_bic.name != usable[0].name
    low, high = best_bic.conf_int(0.05, "lognormal")
    assert payload["estimate"]["ci_low"] == pytest.approx(low, rel=1e-9)
    assert payload["estimate"]["ci_high"] == pytest.approx(high, rel=1e-9)


def heavy(histories: CaptureHistories) -> float:
    table = search_models(histories, criterion="aic")
    return heavy_saturated_weight(table, model_average(table, criterion="aic"))


def test_three_lists_with_most_weight_on_near_saturated_models_warn(api, start_worker):
    histories = first_seed("positive", 3, lambda h: heavy(h) > 0.5)
    start_worker()
    job_id, payload = run_study(api, histories, {"criterion": "aic"})
    assert payload["saturated_weight"] == pytest.approx(heavy(histories))
    warning = next(w for w in payload["warnings"] if w["code"] == "saturated_weight")
    assert warning["weight"] == pytest.approx(heavy(histories))
    share = f"{100 * heavy(histories):.0f}%"
    assert f"With three lists, {share} of the average" in page(api, job_id, "en")
    assert f"При трёх списках {share} веса" in page(api, job_id, "ru")


@pytest.mark.parametrize("analysis", ["family", "model", "stepwise", "bootstrap"])
def test_every_analysis_checks_heterogeneity_against_its_own_models(analysis):
    from registry.services.methods import capture_recapture as method
    from registry.services.methods.capture_recapture_payload import capture_recapture

    histories = first_seed("heterogeneity", 4, detected)
    parameters = method.METHOD.load({"analysis": analysis, "replicates": 20})
    payload = capture_recapture(histories, parameters, registered=0)
    check = payload["heterogeneity"]
    assert check["detected"] is True and check["name"].startswith(("Mth", "["))
    # against the models without a heterogeneity term (the family table has Mh and Mth)
    assert check["aic_gain"] > 2
    assert {w["code"] for w in method.warnings(method.METHOD.read(payload))} >= {"heterogeneity"}


def test_the_family_tables_result_is_its_lowest_bic_model_not_its_first_row():
    """The family table lists M0 first; its result was M0 whatever the data said."""
    from estimation.capture_recapture import closed_population_models
    from registry.services.methods import capture_recapture as method
    from registry.services.methods.capture_recapture_payload import capture_recapture

    histories = first_seed("heterogeneity", 4, detected)
    table = closed_population_models(histories)
    lowest = min((r for r in table.results if r.usable), key=lambda r: r.bic)
    assert lowest.name != "M0"
    parameters = method.METHOD.load({"analysis": "family"})
    payload = capture_recapture(histories, parameters, registered=0)
    assert payload["estimate"]["name"] == lowest.name
    assert payload["estimate"]["abundance"] == pytest.approx(lowest.abundance)
