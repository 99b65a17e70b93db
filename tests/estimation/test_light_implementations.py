"""The scipy-, statsmodels- and lifelines-free pieces agree with those libraries.

The command line no longer imports them (issue 16): the t and chi-square functions, the
trend GLMs, the log-rank test and the Cox model are computed here, and compared with the
libraries on many random inputs.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.statistics import multivariate_logrank_test
from scipy import stats
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from estimation.cox import cox_hazard_ratios
from estimation.distributions import chi2_quantile, chi2_sf, normal_sf, t_quantile
from estimation.irls import fit_binomial_logit, fit_poisson_log
from estimation.retention import logrank_test


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 7, 12, 30, 200])
def test_t_quantile_matches_scipy(df):
    for p in (0.6, 0.9, 0.95, 0.975, 0.995, 0.9995, 0.025):
        assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-12)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 8, 31, 1500, 4002])
def test_chi_square_tail_and_quantile_match_scipy(df):
    for x in (1e-4, 0.5, 3.4, 20.0, 150.0, float(df), 1.2 * df):
        assert chi2_sf(x, df) == pytest.approx(stats.chi2.sf(x, df), rel=1e-11, abs=1e-300)
    for p in (0.025, 0.5, 0.975):
        assert chi2_quantile(p, df) == pytest.approx(stats.chi2.ppf(p, df), rel=1e-11)
    assert normal_sf(3.0) == pytest.approx(stats.norm.sf(3.0), rel=1e-14)


def test_trend_glms_match_statsmodels_on_random_surveillance():
    rng = np.random.default_rng(16)
    for _ in range(40):
        years = int(rng.integers(2, 15))
        tested = rng.integers(20, 500, years).astype(float)
        positive = rng.binomial(tested.astype(int), rng.uniform(0.01, 0.5)).astype(float)
        t = np.arange(years, dtype=float)
        exog = np.column_stack([np.ones(years), t - t.mean()])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logit = GLM(
                np.column_stack([positive, tested - positive]), exog, family=families.Binomial()
            ).fit()
            poisson = GLM(positive, exog, family=families.Poisson(), offset=np.log(tested)).fit()
        for ours, theirs in (
            (fit_binomial_logit(positive, tested, exog), logit),
            (fit_poisson_log(positive, exog, np.log(tested)), poisson),
        ):
            np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-9)
            np.testing.assert_allclose(ours.pvalues, theirs.pvalues, rtol=1e-8, atol=1e-300)
            assert ours.deviance == pytest.approx(theirs.deviance, rel=1e-8, abs=1e-10)


def test_logrank_matches_lifelines_on_random_groups():
    rng = np.random.default_rng(7)
    for _ in range(60):
        n, k = int(rng.integers(6, 200)), int(rng.integers(2, 5))
        groups = np.array(list("abcd"))[rng.integers(0, k, n)]
        if len(set(groups)) < 2:
            continue
        times = np.round(rng.exponential(10, n)) + 1
        events = rng.integers(0, 2, n)
        if events.sum() == 0:
            continue
        theirs = multivariate_logrank_test(times, groups, events)
        ours = logrank_test(times, events, groups)
        assert ours.chi_square == pytest.approx(theirs.test_statistic, rel=1e-10)
        assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-10)


def test_cox_matches_lifelines_on_random_data():
    rng = np.random.default_rng(3)
    for _ in range(25):
        n, d = int(rng.integers(15, 250)), int(rng.integers(1, 4))
        X = rng.normal(size=(n, d))
        X[:, 0] = rng.integers(0, 2, n)
        times = np.round(rng.exponential(np.exp(-0.5 * X[:, 0])) * 50) + 1  # with ties
        censor = rng.integers(1, int(times.max()) + 2, n)
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(d)])
        frame["t"], frame["e"] = np.minimum(times, censor), (times <= censor).astype(int)
        if frame["e"].sum() == 0:
            continue
        summary = CoxPHFitter().fit(frame, duration_col="t", event_col="e").summary
        ours = cox_hazard_ratios(frame, duration_col="t", event_col="e")
        np.testing.assert_allclose([r.coef for r in ours], summary["coef"], rtol=1e-9)
        np.testing.assert_allclose([r.se for r in ours], summary["se(coef)"], rtol=1e-9)
        np.testing.assert_allclose([r.p_value for r in ours], summary["p"], rtol=1e-8)
        columns = {c: frame[c].tolist() for c in frame.columns}  # a mapping works too
        assert cox_hazard_ratios(columns, duration_col="t", event_col="e") == ours
