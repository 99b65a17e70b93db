"""The multivariate indicator method: exact recovery, intervals, and clear refusals."""

import importlib.util
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats

from estimation.mim import mim_estimate
from estimation.mim_heterogeneity import GRID, tau2_draws

ROOT = Path(__file__).resolve().parents[2]
REGIONS = [f"R{i}" for i in range(8)]


def exact_data():
    """Three indicators, each an exact log-linear function of one latent ``t``, and true
    sizes log-linear in ``t`` too: the first component is ``t`` up to scale, so the
    anchors lie exactly on the regression and every other region is recovered."""
    t = np.array([-1.0, -0.6, -0.1, 0.2, 0.5, 0.9, 1.2, 1.5])
    table = pd.DataFrame(
        {"entrants": np.exp(3 + t), "registered": np.exp(5 + 2 * t), "police": np.exp(1 - 0.5 * t)},
        index=REGIONS,
    )
    truth = np.exp(8 + 1.5 * t)
    anchors = {REGIONS[i]: (truth[i], (truth[i] * 0.8, truth[i] * 1.25)) for i in (0, 3, 7)}
    return table, truth, anchors


def test_exact_regression_recovers_every_region():
    table, truth, anchors = exact_data()
    result = mim_estimate(table, anchors, replicates=300)
    for region, true in zip(REGIONS, truth, strict=True):
        entry = result.region(region)
        assert entry.estimate == pytest.approx(true, rel=1e-12)
        assert entry.ci_low < entry.estimate < entry.ci_high
        assert entry.anchor == (region in anchors)
    assert result.national.estimate == pytest.approx(truth.sum(), rel=1e-12)
    assert result.pca.variance_explained[0] == pytest.approx(1.0)
    assert result.fit.r_squared == pytest.approx(1.0)
    assert result.fit.tau2 == 0.0
    assert all(abs(r) < 1e-9 for r in result.fit.residuals.values())
    # the loadings of the first component: equal weights, signs as the indicators move
    assert np.allclose(np.abs(result.pca.loadings[0]), 1 / math.sqrt(3))
    assert result.pca.loadings[0][2] < 0 < result.pca.loadings[0][0]


def test_intervals_are_seeded_and_grow_with_the_anchors_uncertainty():
    table, truth, anchors = exact_data()
    first = mim_estimate(table, anchors, replicates=300, seed=7)
    again = mim_estimate(table, anchors, replicates=300, seed=7)
    other = mim_estimate(table, anchors, replicates=300, seed=8)
    assert first == again
    assert first.region("R1").ci_low != other.region("R1").ci_low
    wider = {r: (e, (e * 0.5, e * 2.0)) for r, (e, _) in anchors.items()}
    wide = mim_estimate(table, wider, replicates=300, seed=7)
    assert wide.region("R1").ci_high - wide.region("R1").ci_low > (
        first.region("R1").ci_high - first.region("R1").ci_low
    )
    low, high = first.national.ci_low, first.national.ci_high
    assert low < first.national.estimate < high


def test_lack_of_fit_widens_the_intervals_through_tau():
    table, truth, anchors = exact_data()
    noisy = dict(anchors)
    for region, factor in (("R0", 1.6), ("R3", 0.6)):
        estimate = anchors[region][0] * factor
        noisy[region] = (estimate, (estimate * 0.95, estimate * 1.05))
    noisy["R5"] = (truth[5], (truth[5] * 0.95, truth[5] * 1.05))
    result = mim_estimate(table, noisy, replicates=300)
    assert result.fit.tau2 > 0
    entry = result.region("R1")
    assert entry.ci_high / entry.ci_low > 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t, a: (t, {k: a[k] for k in list(a)[:2]}), "too few anchors: 2 given, 3 needed"),
        (lambda t, a: (t.assign(police=t.police.where(t.index != "R4", 0)), a),
         "indicator 'police' is 0 in region 'R4'"),
        (lambda t, a: (t.assign(police=t.police.where(t.index != "R2", np.nan)), a),
         "indicator 'police' is missing for region 'R2'"),
        (lambda t, a: (t.assign(police=5.0), a), "'police' has the same value in every region"),
        (lambda t, a: (t, {**a, "XX": (10, (5, 20))}),
         "anchor region 'XX' is not in the indicator table"),
        (lambda t, a: (t, {**a, "R1": (10, (12, 20))}), "need 0 < ci_low <= estimate"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_clear_message(change, message):
    table, _truth, anchors = exact_data()
    table, anchors = change(table, anchors)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        mim_estimate(table, anchors, replicates=100)


def test_more_components_need_more_anchors():
    table, _truth, anchors = exact_data()
    with pytest.raises(ValueError, match="4 needed for 2 component"):
        mim_estimate(table, anchors, components=2, replicates=100)
    with pytest.raises(ValueError, match="components must be 1 to 3"):
        mim_estimate(table, anchors, components=4, replicates=100)


def test_anchors_with_equal_scores_cannot_fit_a_line():
    table, truth, _ = exact_data()
    table.loc["R9"] = table.loc["R0"]
    table.loc["R10"] = table.loc["R0"]
    same = {r: (truth[0], (truth[0] * 0.8, truth[0] * 1.25)) for r in ("R0", "R9", "R10")}
    with pytest.raises(ValueError, match="do not vary enough"):
        mim_estimate(table, same, replicates=100)


def test_a_small_seeded_simulation_is_estimated_near_the_truth():
    """The validation's path (bench/mim_validation.py) on one small seeded run."""
    spec = importlib.util.spec_from_file_location(
        "mim_validation", ROOT / "bench/mim_validation.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    run = bench.one_run(seed=3, scale=0.3, anchors=bench.ANCHORS)
    assert set(run["mim"]) == set(run["truth"])
    national = run["national"]
    total = sum(run["truth"].values())
    assert national[1] <= total <= national[2]
    assert abs(national[0] / total - 1) < 0.3


def test_command_line_reads_both_tables_and_refuses_a_zero(tmp_path, capsys):
    from estimation.cli import main

    table, truth, anchors = exact_data()
    table.rename_axis("region").to_csv(tmp_path / "indicators.csv")
    rows = [(r, e, lo, hi) for r, (e, (lo, hi)) in anchors.items()]
    pd.DataFrame(rows, columns=["region", "estimate", "ci_low", "ci_high"]).to_csv(
        tmp_path / "anchors.csv", index=False
    )
    argv = ["mim", str(tmp_path / "indicators.csv"), "--anchors", str(tmp_path / "anchors.csv")]
    assert main([*argv, "--json", "--replicates", "200", "--tau2-plug-in"]) == 0
    capsys.readouterr()
    assert main([*argv, "--json", "--replicates", "200"]) == 0
    out = json.loads(capsys.readouterr().out)
    estimates = {r["region"]: r["estimate"] for r in out["regions"]}
    assert estimates["R1"] == pytest.approx(truth[1], rel=1e-9)
    table.loc["R1", "entrants"] = 0
    table.rename_axis("region").to_csv(tmp_path / "indicators.csv")
    assert main(argv) == 2
    assert "indicator 'entrants' is 0 in region 'R1'" in capsys.readouterr().err


def hand_made(c: float, sigma: float = 0.1):
    """Three anchors (R0, R3, R7) of log-scale error ``sigma`` each, off the exact line by
    ``c`` times the unit vector of the residual space, so that RSS = c**2 exactly; and the
    quantities the prediction variance of a region needs, computed by hand: the residual
    vector ``m`` and the anchors' design (intercept, score)."""
    table, truth, _ = exact_data()
    scores = mim_estimate(table, exact_data()[2], replicates=100).regions
    t = np.array([s.scores[0] for s in scores])
    rows = [0, 3, 7]
    design = np.column_stack([np.ones(3), t[rows]])
    m = np.linalg.svd(design.T)[2][-1]  # unit vector orthogonal to both columns
    z = stats.norm.ppf(0.975)
    anchors = {}
    for k, i in enumerate(rows):
        estimate = truth[i] * math.exp(c * m[k])
        anchors[REGIONS[i]] = (
            estimate,
            (estimate * math.exp(-z * sigma), estimate * math.exp(z * sigma)),
        )
    return table, anchors, design, t


def prediction_variance(design, t0, tau2, sigma):
    """Var(x0'(b - beta) - u0) for OLS on anchors of variance tau2 + sigma**2, by hand."""
    x0 = np.array([1.0, t0])
    return (tau2 + sigma**2) * x0 @ np.linalg.inv(design.T @ design) @ x0 + tau2


def test_plug_in_interval_is_the_normal_prediction_interval():
    """tau2 known (plug-in): the bootstrap gives the textbook normal prediction interval,
    so the anchors' errors and the coefficients' uncertainty are both carried."""
    c, sigma = 0.2, 0.1
    table, anchors, design, t = hand_made(c, sigma)
    tau2 = c**2 - sigma**2  # MoM with one df: RSS - sum (1 - h) sigma^2, sum (1 - h) = 1
    result = mim_estimate(table, anchors, replicates=40_000, seed=3, tau2_uncertainty=False)
    assert result.fit.tau2 == pytest.approx(tau2)
    entry = result.region("R1")
    half = stats.norm.ppf(0.975) * math.sqrt(prediction_variance(design, t[1], tau2, sigma))
    assert math.log(entry.ci_high / entry.estimate) == pytest.approx(half, rel=0.03)
    assert math.log(entry.estimate / entry.ci_low) == pytest.approx(half, rel=0.03)


def test_interval_carries_the_uncertainty_of_tau2():
    """RSS = sigma**2: tau2's estimate is 0, but with one residual df its pivotal
    distribution is max(0, RSS / chi2_1 - sigma**2). The default interval is the quantile
    of the normal mixture over that distribution, integrated here."""
    c, sigma = 0.1, 0.1
    table, anchors, design, t = hand_made(c, sigma)
    result = mim_estimate(table, anchors, replicates=40_000, seed=3)
    assert result.fit.tau2 == 0.0
    assert result.fit.tau2_uncertainty

    def below(q):  # P(prediction error <= q), over tau2 = max(0, c^2 / x - sigma^2)
        def integrand(x):
            tau2 = max(0.0, c**2 / x - sigma**2)
            sd = math.sqrt(prediction_variance(design, t[1], tau2, sigma))
            return stats.norm.cdf(q / sd) * stats.chi2.pdf(x, 1)

        cuts = (0, 1e-6, c**2 / sigma**2, np.inf)
        return sum(
            integrate.quad(integrand, a, b, limit=200)[0] for a, b in itertools.pairwise(cuts)
        )

    half = optimize.brentq(lambda q: below(q) - 0.975, 0.01, 50)
    entry = result.region("R1")
    assert math.log(entry.ci_high / entry.estimate) == pytest.approx(half, rel=0.1)
    assert math.log(entry.estimate / entry.ci_low) == pytest.approx(half, rel=0.1)
    plug_in = stats.norm.ppf(0.975) * math.sqrt(prediction_variance(design, t[1], 0, sigma))
    assert half > 2 * plug_in  # what the plug-in interval left out


def test_tau2_draws_with_one_degree_of_freedom_are_the_pivot_by_hand():
    """df = 1: Q(tau2) = RSS / (tau2 + sum (1 - h) se^2), so the draw solving Q = chi2 is
    max(0, RSS / chi2 - sum (1 - h) se^2) (Viechtbauer 2007's Q-profile)."""
    design = np.column_stack([np.ones(3), [-1.0, 0.0, 1.0]])
    se = np.array([0.1, 0.2, 0.3])
    y = np.array([1.0, 1.5, 1.3])
    m = np.array([1.0, -2.0, 1.0]) / math.sqrt(6)  # the residual direction; 1 - h = m^2
    rss = float(m @ y) ** 2
    draws = tau2_draws(design, y, se, np.random.default_rng(5), 2000)
    chi = np.random.default_rng(5).chisquare(1, 2000)
    expected = np.clip(rss / chi - float(m**2 @ se**2), 0, GRID[-1])  # the grid's end caps
    assert np.allclose(draws, expected, rtol=2e-3, atol=1e-9)
    # tau2 is 0 when chi2 > RSS / sum (1 - h) se^2
    assert np.mean(draws == 0) == pytest.approx(
        stats.chi2.sf(rss / float(m**2 @ se**2), 1), abs=0.03
    )
