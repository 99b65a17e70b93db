"""Single-list estimators on the Dutch police data (van der Heijden et al. 2003).

Frequencies f1..f6 = 1645, 183, 37, 13, 1, 1 (n = 1880), shipped as
``estimation.datasets.load_dutch_immigrants_1995``.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.discrete.truncated_model import TruncatedLFPoisson

from estimation.count_estimators import (
    ZeroTruncatedPoissonRegression,
    chao,
    count_estimators,
    frequency_table,
    zelterman,
    ztpoisson,
)
from estimation.datasets import load_dutch_immigrants_1995

DUTCH = load_dutch_immigrants_1995()


def test_ztpoisson_matches_singlercapture_and_van_der_heijden():
    # R singleRcapture, inst/tinytest/test_singleRcapture.R (values rounded to integers):
    # estimate_popsize(capture ~ 1, data = netherlandsimmigrant, model = "ztpoisson",
    #                  pop.var = "analytic")  -> point 7080, normal 95% CI c(6363, 7797)
    # (the same figures as van der Heijden et al. 2003). Tolerance 0.5 (integer rounding).
    result = ztpoisson(DUTCH)
    assert result.estimate == pytest.approx(7080, abs=0.5)
    assert result.conf_int() == pytest.approx((6363, 7797), abs=0.5)


def test_zelterman_matches_singlercapture():
    # Same file: estimate_popsize(capture ~ 1, ..., model = "zelterman", pop.var = "analytic")
    # -> point 9425, 95% CI c(8084, 10765). Tolerance 0.5.
    result = zelterman(DUTCH)
    assert result.estimate == pytest.approx(9425, abs=0.5)
    assert result.conf_int() == pytest.approx((8084, 10765), abs=0.5)


def test_chao_matches_hand_calculation():
    # Own calculation of Chao (1987): 1880 + 1645^2 / (2 * 183) = 9273.5109;
    # var = f2 (r^4/4 + r^3 + r^2/2), r = f1/f2 -> se 662.5900; log-normal bounds.
    result = chao(DUTCH)
    assert result.estimate == pytest.approx(9273.510929, abs=1e-6)
    assert result.se == pytest.approx(662.58999724, abs=1e-6)
    assert result.conf_int() == pytest.approx((8084.694908, 10690.103424), abs=1e-5)


def test_chao_with_f2_zero_uses_the_documented_bias_corrected_form():
    result = chao({1: 10, 3: 2})
    # f0 = f1 (f1 - 1) / 2 = 45 (Chao 2005), so N = 12 + 45.
    assert result.estimate == pytest.approx(57)
    assert "f2 = 0" in result.note
    assert result.observed < result.ci_low < result.estimate < result.ci_high
    assert np.isfinite([result.ci_low, result.ci_high, result.se]).all()


def test_chao_without_singletons_estimates_nobody_missing():
    result = chao({2: 10, 3: 2})
    assert (result.estimate, result.ci_low, result.ci_high) == (12, 12, 12)


def test_zelterman_needs_f1_and_f2():
    with pytest.raises(ValueError, match="f2 = 0"):
        zelterman({1: 10, 3: 2})


def test_ztpoisson_everybody_seen_once_is_unbounded():
    with pytest.raises(ValueError, match="exactly once"):
        ztpoisson({1: 40})


def test_frequency_table_rejects_zero_counts_and_fractions():
    with pytest.raises(ValueError, match="not observable"):
        frequency_table({0: 3, 1: 4})
    with pytest.raises(ValueError, match="whole numbers"):
        frequency_table(pd.DataFrame({"count": [1, 2], "freq": [1.5, 2]}))


def test_regression_intercept_only_equals_frequency_version():
    counts = np.repeat(DUTCH["count"], DUTCH["freq"])
    model = ZeroTruncatedPoissonRegression().fit(None, counts)
    assert model.population_.estimate == pytest.approx(ztpoisson(DUTCH).estimate, rel=1e-10)


def test_regression_matches_statsmodels_truncated_poisson():
    # Cross-check against an independent implementation (statsmodels TruncatedLFPoisson).
    rng = np.random.default_rng(20240601)
    x = rng.integers(0, 2, 4000)
    y = rng.poisson(np.exp(-0.5 + 0.7 * x))
    keep = y > 0
    ours = ZeroTruncatedPoissonRegression().fit(x[keep], y[keep])
    ref = TruncatedLFPoisson(y[keep], sm.add_constant(x[keep].astype(float))).fit(
        disp=0, maxiter=200, method="newton"
    )
    np.testing.assert_allclose(ours.coef_, ref.params, atol=1e-6)
    np.testing.assert_allclose(ours.bse_, ref.bse, rtol=1e-4)
    assert ours.loglik_ == pytest.approx(ref.llf, abs=1e-6)


def test_regression_with_a_factor_sums_the_group_estimates():
    # With one binary covariate the model is saturated in the groups, so N is the sum of
    # the two intercept-only estimates (own derivation).
    rng = np.random.default_rng(5)
    x = rng.integers(0, 2, 3000)
    y = rng.poisson(np.exp(-0.3 + 0.6 * x))
    keep = y > 0
    x, y = x[keep], y[keep]
    model = ZeroTruncatedPoissonRegression().fit(x, y)
    parts = [
        ztpoisson(dict(zip(*np.unique(y[x == g], return_counts=True), strict=True))) for g in (0, 1)
    ]
    assert model.population_.estimate == pytest.approx(sum(p.estimate for p in parts), rel=1e-8)


def test_count_estimators_returns_all_three():
    assert [m.name for m in count_estimators(DUTCH)] == ["chao", "zelterman", "ztpoisson"]


def test_cli_keys_and_values(run_json, tmp_path):
    path = tmp_path / "police.csv"
    DUTCH.to_csv(path, index=False)
    out = run_json("count-estimators", path)
    assert set(out) == {"observed", "models"}
    assert out["observed"] == 1880
    by_name = {m["name"]: m for m in out["models"]}
    assert set(by_name) == {"chao", "zelterman", "ztpoisson"}
    assert all(set(m) == {"name", "estimate", "ci_low", "ci_high"} for m in out["models"])
    assert by_name["ztpoisson"]["estimate"] == pytest.approx(7080, abs=0.5)


def test_cli_f2_zero_reports_the_skipped_estimator(run_json, tmp_path):
    path = tmp_path / "sparse.csv"
    path.write_text("count,freq\n1,10\n3,2\n")
    out = run_json("count-estimators", path)
    assert [m["name"] for m in out["models"]] == ["chao", "ztpoisson"]
    assert out["skipped"][0]["name"] == "zelterman"


def test_cli_bad_file_exits_2(run_cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("times,people\n1,3\n")
    code, _, err = run_cli("count-estimators", path)
    assert code == 2 and "count, freq" in err


def test_regression_with_several_covariates_recovers_the_population():
    # Simulation check (own): true N = 3000; estimate within its interval.
    rng = np.random.default_rng(2)
    n = 3000
    x = np.column_stack([rng.integers(0, 2, n), rng.normal(0, 1, n), rng.integers(0, 3, n) == 2])
    y = rng.poisson(np.exp(-1.5 + 0.4 * x[:, 0] + 0.8 * x[:, 1] - 0.9 * x[:, 2]))
    keep = y > 0
    model = ZeroTruncatedPoissonRegression(interval="lognormal").fit(x[keep], y[keep])
    low, high = model.population_.conf_int()
    assert low < n < high
    np.testing.assert_allclose(model.coef_, [-1.5, 0.4, 0.8, -0.9], atol=0.25)


def test_regression_with_an_unbounded_group_is_a_clear_error():
    with pytest.raises(ValueError, match="everybody was seen once"):
        ZeroTruncatedPoissonRegression().fit(np.r_[0, 0, 1, 1], np.r_[1, 2, 1, 1])


def test_cli_covariates_fit_the_regression_on_grouped_rows(run_json, tmp_path):
    path = tmp_path / "grouped.csv"
    path.write_text("count,freq,sex\n1,800,m\n2,100,m\n3,20,m\n1,300,f\n2,20,f\n3,3,f\n")
    out = run_json("count-estimators", path, "--covariates", "sex")
    assert out["covariates"] == ["sex"] and out["observed"] == 1243
    by_name = {m["name"]: m for m in out["models"]}
    # A single binary covariate is saturated: N is the sum of the per-sex estimates.
    male = ztpoisson({1: 800, 2: 100, 3: 20}).estimate
    female = ztpoisson({1: 300, 2: 20, 3: 3}).estimate
    assert by_name["ztpoisson"]["estimate"] == pytest.approx(male + female, rel=1e-8)
    # Chao and Zelterman use the marginal frequencies.
    assert by_name["chao"]["estimate"] == pytest.approx(chao({1: 1100, 2: 120, 3: 23}).estimate)
