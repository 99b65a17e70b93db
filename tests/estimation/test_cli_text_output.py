"""The printed output of count-estimators, hiv-trend and retention, line for line.

These commands no longer use pandas, statsmodels or lifelines (issue 16, start-up time);
their text is pinned here against figures obtained independently of the code under test:
published R output (singleRcapture, survival) and the libraries the commands used before
(statsmodels' GLM and Wilson interval, lifelines' log-rank test and Cox model, scipy's t
quantile), formatted as the command prints them.
"""

import math

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.statistics import multivariate_logrank_test
from scipy import stats
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.stats.proportion import proportion_confint

from estimation.datasets import load_aml, load_dutch_immigrants_1995


def test_count_estimators_prints_the_published_figures(run_cli, tmp_path):
    path = tmp_path / "dutch.csv"
    load_dutch_immigrants_1995().to_csv(path, index=False)
    freq = dict(zip(*load_dutch_immigrants_1995()[["count", "freq"]].T.values, strict=True))
    n, f1, f2 = sum(freq.values()), freq[1], freq[2]
    # Chao (1987), by hand: f0 = f1^2 / (2 f2), log-normal interval.
    f0, r = f1**2 / (2 * f2), f1 / f2
    var = f2 * (r**4 / 4 + r**3 + r**2 / 2)
    c = math.exp(1.959964 * math.sqrt(math.log(1 + var / f0**2)))
    code, out, _ = run_cli("count-estimators", path)
    assert code == 0
    assert out.splitlines() == [
        "observed: 1,880",
        f"chao: N = {n + f0:,.0f} ({n + f0 / c:,.0f}-{n + f0 * c:,.0f}, lognormal; n = 1,880)",
        # R singleRcapture::estimatePopsize(..., model = "zelterman") and "ztpoisson"
        "zelterman: N = 9,425 (8,084-10,765, normal; n = 1,880)",
        "ztpoisson: N = 7,080 (6,363-7,797, normal; n = 1,880)",
    ]


YEARS = pd.DataFrame(
    {
        "year": [2019, 2020, 2021, 2022, 2023],
        "tested": [250, 260, 240, 255, 262],
        "positive": [20, 25, 27, 33, 38],
    }
)


def _statsmodels_trend_line(data: pd.DataFrame) -> str:
    t = data["year"].to_numpy(float)
    exog = np.column_stack([np.ones_like(t), t - t.mean()])
    x, n = data["positive"].to_numpy(float), data["tested"].to_numpy(float)
    logit = GLM(np.column_stack([x, n - x]), exog, family=families.Binomial()).fit()
    poisson = GLM(x, exog, family=families.Poisson(), offset=np.log(n)).fit()
    z = stats.norm.ppf(0.975)
    b, se = logit.params[1], logit.bse[1]
    g, g_se = poisson.params[1], poisson.bse[1]
    return (
        f"trend: OR per year {math.exp(b):.3f} ({math.exp(b - z * se):.3f}-"
        f"{math.exp(b + z * se):.3f}), p = {logit.pvalues[1]:.4g}; APC "
        f"{100 * math.expm1(g):.1f}% ({100 * math.expm1(g - z * g_se):.1f} to "
        f"{100 * math.expm1(g + z * g_se):.1f})"
    )


def _weighted_line(data: pd.DataFrame) -> list[str]:
    """No joinpoint below 7 years: one weighted least-squares line of log prevalence."""
    x, n = data["positive"].to_numpy(float) + 0.5, data["tested"].to_numpy(float) + 0.5
    w = 1 / (1 / x - 1 / n)
    t = data["year"].to_numpy(float)
    design = np.column_stack([np.ones_like(t), t]) * np.sqrt(w)[:, None]
    response = np.log(x / n) * np.sqrt(w)
    coef, residual, *_ = np.linalg.lstsq(design, response, rcond=None)
    df = len(t) - 2
    cov = residual[0] / df * np.linalg.inv(design.T @ design)
    half = stats.t.ppf(0.975, df) * math.sqrt(cov[1, 1])
    slope = coef[1]
    return [
        "joinpoints: 0 joinpoint(s) at []",
        f"2019-2023: slope {slope:.4f}, APC {100 * math.expm1(slope):.1f}% "
        f"({100 * math.expm1(slope - half):.1f} to {100 * math.expm1(slope + half):.1f})",
    ]


@pytest.mark.parametrize("selection", ["bic", "permutation"])
def test_hiv_trend_prints_what_statsmodels_and_least_squares_give(run_cli, tmp_path, selection):
    path = tmp_path / "years.csv"
    YEARS.to_csv(path, index=False)
    years = []
    for year, tested, positive in YEARS.itertuples(index=False):
        low, high = proportion_confint(positive, tested, method="wilson")
        years.append(
            f"{year}: {positive}/{tested} = {100 * positive / tested:.1f}% "
            f"({100 * low:.1f}-{100 * high:.1f})"
        )
    code, out, _ = run_cli("hiv-trend", path, "--selection", selection, "--seed", "1")
    assert code == 0
    assert out.splitlines() == years + [_statsmodels_trend_line(YEARS), *_weighted_line(YEARS)]


def test_retention_prints_r_survfit_and_lifelines_figures(run_cli, tmp_path):
    aml = load_aml()
    path = tmp_path / "aml.csv"
    aml.to_csv(path, index=False)
    logrank = multivariate_logrank_test(aml["time"], aml["x"], aml["status"])
    frame = pd.DataFrame(
        {
            "time": aml["time"],
            "status": aml["status"],
            "Nonmaintained": (aml["x"] == "Nonmaintained").astype(int),
        }
    )
    cox = CoxPHFitter().fit(frame, duration_col="time", event_col="status").summary
    coef, se, p = cox.loc["Nonmaintained", ["coef", "se(coef)", "p"]]
    z = stats.norm.ppf(0.975)
    code, out, _ = run_cli(
        "retention", path, "--duration-col", "time", "--event-col", "status",
        "--group-col", "x", "--at", "12,30",
    )  # fmt: skip
    assert code == 0
    assert out.splitlines() == [
        # R summary(survfit(Surv(time, status) ~ x, aml)) at 9 and 23 weeks (Maintained),
        # 12 and 30 (Nonmaintained); medians 31 and 23.
        "Maintained: n=11, events=7, median 31; 12: 0.909 (0.754-1.000), 30: 0.614 (0.377-0.999)",
        "Nonmaintained: n=12, events=11, median 23; 12: 0.583 (0.362-0.941), "
        "30: 0.292 (0.115-0.741)",
        f"log-rank p = {logrank.p_value:.4g}",
        f"HR Nonmaintained vs Maintained: {math.exp(coef):.3f} ({math.exp(coef - z * se):.3f}-"
        f"{math.exp(coef + z * se):.3f}), p = {p:.4g}",
    ]
