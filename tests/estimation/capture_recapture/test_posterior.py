"""The shared posterior result of the Bayesian capture-recapture methods."""

import numpy as np
import pytest

from estimation.capture_recapture.posterior import BayesWarning, PosteriorSize


def test_grid_posterior_summaries_by_hand():
    # N = 10 + missing; probabilities 0.1, 0.2, 0.4, 0.2, 0.1 on missing 0..4
    probs = np.array([0.1, 0.2, 0.4, 0.2, 0.1])
    post = PosteriorSize.from_grid("dga", ["a", "b", "c"], 10, [4, 3, 2, 1, 0], np.log(probs[::-1]))
    assert post.median == 12 and post.mode == 12
    assert post.mean == pytest.approx(12.0)
    assert post.stderr == pytest.approx(np.sqrt(0.1 * 4 + 0.2 + 0.2 + 0.1 * 4))
    assert post.conf_int(0.2) == (10.0, 13.0)  # 10% reached at 10, 90% at 13
    assert post.quantile(0.1) == 10.0


def test_samples_quantiles_are_rs_type_1():
    draws = [5, 7, 7, 9, 20]
    post = PosteriorSize.from_samples("lcmcr", ["a", "b"], 5, draws)
    for level in (0.1, 0.25, 0.5, 0.75, 0.9, 1.0):
        assert post.quantile(level) == np.sort(draws)[int(np.ceil(level * 5)) - 1]


def test_dictionary_speaks_the_capture_recapture_vocabulary():
    warning = BayesWarning("grid_edge", "posterior mass at the grid's upper edge")
    post = PosteriorSize.from_samples(
        "lcmcr", ["a", "b"], 5, [6, 8, 10], warnings=(warning,), details={"rhat": 1.01}
    )
    row = post.to_dict()
    assert row["abundance"] == row["median"] == 8.0
    assert (row["ci_low"], row["ci_high"]) == (6.0, 10.0)
    assert row["fit_ok"] is False and row["warnings"] == [warning.to_dict()]
    assert row["rhat"] == 1.01


def test_the_lowest_quantile_is_the_lowest_value_of_positive_probability():
    post = PosteriorSize.from_grid("dga", ["a", "b", "c"], 10, [0, 1, 2], [-np.inf, 0.0, 0.0])
    assert post.quantile(0) == 11.0


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        PosteriorSize.from_grid("dga", ["a"], 1, [0, 1], [0.0])
    with pytest.raises(ValueError):
        PosteriorSize.from_samples("lcmcr", ["a"], 1, [])
