"""dga: Bayesian model averaging over decomposable graphs, against published figures.

The reference is dga's own test of Madigan & York's (1997) three-list example
(``tests/testthat/test-BMAfunctions.R`` in the dga sources, version 2.0)::

    Y <- array(c(0, 60, 49, 4, 247, 112, 142, 12), dim = c(2, 2, 2))
    delta <- 1; a <- 13.14; b <- 55.17
    Nmissing <- 1:300; N <- Nmissing + sum(Y)
    logprior <- N * log(b) - (N + a) * log(1 + b) + lgamma(N + a) - lgamma(N + 1) - lgamma(a)
    weights <- bma.cr(Y, Nmissing, delta, graphs3, logprior)
    # top model probability 0.37; its Bayes estimate 731 and posterior mode 729;
    # model-averaged Bayes estimate 731 and posterior mode 728, where the "Bayes estimate"
    # is round(mean(w / N) / mean(w / N^2)) = E[1/N] / E[1/N^2].
"""

import numpy as np
import pytest

from estimation.capture_recapture import CaptureHistories
from estimation.capture_recapture.datasets import scotland_pwid
from estimation.capture_recapture.decomposable import decomposable_graphs
from estimation.capture_recapture.dga import (
    dga,
    log_posterior_table,
    negative_binomial_log_prior,
)


def from_r_array(values, lists):
    """A 2^k R array (first list varying fastest, cell 1 the unobserved one)."""
    k = len(lists)
    frequencies = {
        "".join(str(index >> j & 1) for j in range(k)): value
        for index, value in enumerate(values)
        if index
    }
    return CaptureHistories.from_frequencies(lists, frequencies)


MADIGAN_YORK_3 = from_r_array([0, 60, 49, 4, 247, 112, 142, 12], ["1", "2", "3"])
MY_GRID = np.arange(1, 301)
MY_PRIOR = negative_binomial_log_prior(13.14, 55.17)


def bayes_estimate(weights, totals):
    """dga's test's "Bayes estimate": the minimiser of E[((N - d) / N)^2]."""
    return np.mean(weights / totals) / np.mean(weights / totals**2)


def test_madigan_york_three_lists_as_in_dgas_tests():
    graphs, joint = log_posterior_table(MADIGAN_YORK_3, MY_GRID, delta=1.0, log_prior=MY_PRIOR)
    weights = np.exp(joint - joint.max())
    weights /= weights.sum()
    totals = MY_GRID + MADIGAN_YORK_3.observed
    by_model = weights.sum(axis=1)
    top = weights[np.argmax(by_model)]
    assert round(by_model.max(), 2) == 0.37
    assert graphs[np.argmax(by_model)].name == "[12,3]"
    assert round(bayes_estimate(top, totals)) == 731
    assert totals[np.argmax(top)] == 729
    averaged = weights.sum(axis=0)
    assert round(bayes_estimate(averaged, totals)) == 731
    assert totals[np.argmax(averaged)] == 728


def test_the_result_carries_the_same_figures():
    post = dga(MADIGAN_YORK_3, delta=1.0, n_missing=MY_GRID, log_prior=MY_PRIOR)
    assert post.mode == 728
    assert round(post.details["relative_loss_estimate"]) == 731
    top = post.details["graphs"][0]
    assert (top["graph"], round(top["weight"], 2)) == ("[12,3]", 0.37)
    assert sum(g["weight"] for g in post.details["graphs"]) == pytest.approx(1.0)
    assert post.to_dict()["abundance"] == post.median
    assert post.fit_ok


def test_chordal_graph_counts_are_oeis_a058862():
    assert [len(decomposable_graphs(k)) for k in (3, 4, 5, 6)] == [8, 61, 822, 18154]
    names = {g.name for g in decomposable_graphs(4)}
    assert "[12,23,34,14]" not in names and "[12,14,23,34]" not in names  # the 4-cycle
    assert {"[1,2,3,4]", "[12,23,34]", "[123,34]", "[1234]"} <= names


def test_factorisation_is_cliques_over_separators():
    by_name = {g.name: dict(g.factors) for g in decomposable_graphs(4)}
    # masks: list j is bit j; [12,23,34] = {1,2} {2,3} {3,4} over {2} {3}
    assert by_name["[12,23,34]"] == {0b0011: 1, 0b0110: 1, 0b1100: 1, 0b0010: -1, 0b0100: -1}
    assert by_name["[123,234]"] == {0b0111: 1, 0b1110: 1, 0b0110: -1}
    assert by_name["[1,2,3,4]"] == {1: 1, 2: 1, 4: 1, 8: 1}


def test_default_grid_matches_every_integer():
    """The refined default grid gives the figures of the full 0 .. 30 x observed grid."""
    coarse = dga(MADIGAN_YORK_3)
    full = dga(MADIGAN_YORK_3, n_missing=np.arange(0, 30 * MADIGAN_YORK_3.observed + 1))
    assert coarse.details["grid"]["fine_step"] == 1.0
    assert coarse.details["grid"]["points"] < full.details["grid"]["points"] / 5
    for level in (0.025, 0.25, 0.5, 0.75, 0.975):
        assert coarse.quantile(level) == full.quantile(level)
    assert coarse.mode == full.mode
    assert coarse.mean == pytest.approx(full.mean, rel=1e-5)
    assert coarse.stderr == pytest.approx(full.stderr, rel=1e-3)
    for a, b in zip(coarse.details["graphs"], full.details["graphs"], strict=True):
        assert a["graph"] == b["graph"] and a["weight"] == pytest.approx(b["weight"], abs=1e-5)


def test_default_delta_and_prior_are_dgas():
    post = dga(MADIGAN_YORK_3)
    assert post.details["delta"] == 2.0**-3
    graphs, joint = log_posterior_table(MADIGAN_YORK_3, [0.0, 5.0], delta=1 / 8)
    _, flat = log_posterior_table(
        MADIGAN_YORK_3, [0.0, 5.0], delta=1 / 8, log_prior=lambda total: 0 * total
    )
    # dga's default prior is 1/N on N = observed + missing: finite at no one missing
    assert np.all(np.isfinite(joint))
    assert joint - flat == pytest.approx(-np.log([[626.0, 631.0]] * len(graphs)))


def test_scotland_pwid_near_the_published_estimate():
    """King et al. (2013): 31,700 (24,900 to 38,700) from the same four lists with region,
    sex and age; dga has no covariates, so the match is to 5% (mean) and 10% (limits)."""
    post = dga(scotland_pwid())
    assert post.mean == pytest.approx(31_700, rel=0.05)
    low, high = post.conf_int()
    assert low == pytest.approx(24_900, rel=0.10) and high == pytest.approx(38_700, rel=0.10)
    assert post.details["graphs"][0]["graph"] == "[13,23,24]"
    assert not post.warnings


def test_lists_without_overlap_warn_of_the_grid_edge():
    disjoint = CaptureHistories.from_frequencies(
        ["a", "b", "c"], {"100": 30, "010": 25, "001": 40, "110": 1}
    )
    post = dga(disjoint)
    (warning,) = post.warnings
    assert warning.code == "grid_edge"
    assert post.details["grid"]["edge_mass"] > 1e-3
    assert not post.fit_ok
    assert not dga(MADIGAN_YORK_3).warnings


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"delta": 0.0}, "delta"),
        ({"delta": -1.0}, "delta"),
        ({"delta": float("nan")}, "delta"),
        ({"alpha": 1.5}, "alpha"),
        ({"n_missing": [3, 2, 1]}, "increasing"),
        ({"n_missing": [-1, 2]}, "non-negative"),
        ({"n_missing": []}, "non-empty"),
        ({"upper_factor": 0}, "upper_factor"),
    ],
)
def test_bad_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dga(MADIGAN_YORK_3, **kwargs)


def test_two_and_seven_lists_are_refused():
    two = CaptureHistories.from_frequencies(["a", "b"], {"11": 5, "10": 20, "01": 30})
    with pytest.raises(ValueError, match="at least 3 lists"):
        dga(two)
    seven = CaptureHistories.from_frequencies(list("abcdefg"), {"1100000": 3, "0111111": 4})
    with pytest.raises(ValueError, match="3 to 6"):
        dga(seven)


def test_a_prior_that_rules_values_out_is_respected():
    """A user's prior of zero below 30,000 (log prior -inf) leaves no mass there."""
    post = dga(scotland_pwid(), log_prior=lambda total: np.where(total < 30_000, -np.inf, 0.0))
    assert post.probabilities[post.values < 30_000].sum() == 0
    assert post.conf_int()[0] >= 30_000 and post.mode >= 30_000
    assert np.isfinite(post.mean)


def test_weight_on_the_complete_graph_warns_that_the_prior_decides():
    """Latent-class heterogeneity with 20,000 people (the coverage study's cell): every
    posterior weight lands on [123], whose number missing the data cannot identify, so
    the median sits at the people observed and the 97.5% quantile near 5 times them."""
    from estimation.capture_recapture.scenarios import simulate_scenario
    from estimation.capture_recapture.validation import Cell

    cell = Cell("heterogeneity", population=20_000, lists=3)  # replicate 0 of the table
    histories = simulate_scenario(cell.scenario, population=20_000, lists=3, seed=cell.seed(0))
    post = dga(histories)
    assert post.details["graphs"][0] == {"graph": "[123]", "weight": pytest.approx(1.0)}
    assert [w.code for w in post.warnings] == ["saturated_graph"]
    assert post.median < 1.01 * histories.observed and not post.fit_ok
