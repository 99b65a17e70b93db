"""Joinpoint regression: exact recovery, brute-force optimum and model selection.

References are own calculations: noise-free piecewise-linear data (the true joinpoint and
slopes are known exactly) and a brute-force least-squares search written independently
with numpy.linalg.lstsq.
"""

import itertools

import numpy as np
import pytest

from estimation.joinpoint import Joinpoint, default_max_joinpoints

X = np.arange(1995, 2011, dtype=float)
TRUE = np.where(X <= 2003, 0.10 * (X - 1995), 0.8 - 0.05 * (X - 2003))


def test_noise_free_data_recover_the_joinpoint_and_slopes():
    model = Joinpoint().fit(X, TRUE)
    assert model.n_joinpoints_ == 1
    assert model.joinpoints_ == (2003.0,)
    first, second = model.segments_
    assert (first.slope, second.slope) == pytest.approx((0.10, -0.05), abs=1e-10)
    assert first.apc == pytest.approx(100 * (np.exp(0.10) - 1), abs=1e-8)
    assert (first.start, first.end, second.start, second.end) == (1995, 2003, 2003, 2010)


def test_grid_search_finds_the_brute_force_least_squares_optimum():
    rng = np.random.default_rng(11)
    y = TRUE + rng.normal(0, 0.04, len(X))

    def sse(knots):
        design = np.column_stack([np.ones_like(X), X] + [np.clip(X - k, 0, None) for k in knots])
        residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
        return float(residual @ residual)

    allowed = X[2:-2]
    best = min(
        (pair for pair in itertools.combinations(allowed, 2) if pair[1] - pair[0] >= 3),
        key=sse,
    )
    best_one = min(((k,) for k in allowed), key=sse)
    model = Joinpoint(max_joinpoints=2, selection="bic").fit(X, y)
    assert model.bic_.keys() == {0, 1, 2}
    assert model.sse_[2] == pytest.approx(sse(best), rel=1e-10)
    assert model.sse_[1] == pytest.approx(sse(best_one), rel=1e-10)
    assert model.sse_[0] == pytest.approx(sse(()), rel=1e-10)
    assert model.joinpoints_ == best_one == (2003.0,)


def test_straight_line_selects_no_joinpoint():
    rng = np.random.default_rng(3)
    y = 0.03 * (X - 1995) + rng.normal(0, 0.05, len(X))
    assert Joinpoint().fit(X, y).n_joinpoints_ == 0
    assert (
        Joinpoint(selection="permutation", n_permutations=99, seed=2).fit(X, y).n_joinpoints_ == 0
    )


def test_permutation_test_detects_a_clear_joinpoint_reproducibly():
    rng = np.random.default_rng(8)
    y = TRUE + rng.normal(0, 0.03, len(X))
    first = Joinpoint(selection="permutation", n_permutations=99, seed=4).fit(X, y)
    again = Joinpoint(selection="permutation", n_permutations=99, seed=4).fit(X, y)
    assert first.joinpoints_ == again.joinpoints_ == (2003.0,)
    assert first.p_values_ == again.p_values_
    assert first.p_values_[0][2] <= 0.02


def test_default_maximum_follows_nci_recommendation():
    assert [default_max_joinpoints(n) for n in (6, 7, 11, 12, 16, 17, 22, 40)] == [
        0,
        1,
        1,
        2,
        2,
        3,
        4,
        5,
    ]


def test_too_few_points_or_bad_input_are_clear_errors():
    with pytest.raises(ValueError, match="two distinct"):
        Joinpoint().fit([2001.0], [0.1])
    with pytest.raises(ValueError, match="finite"):
        Joinpoint().fit([1.0, 2.0, 3.0], [0.1, np.nan, 0.2])
    with pytest.raises(ValueError, match="selection"):
        Joinpoint(selection="aic").fit(X, TRUE)


def test_no_residual_degrees_of_freedom_gives_no_interval_rather_than_a_fake_one():
    (segment,) = Joinpoint().fit([2001.0, 2002.0], [0.1, 0.3]).segments_
    assert segment.slope == pytest.approx(0.2)
    assert (segment.ci_low, segment.ci_high, segment.apc_low, segment.apc_high) == (None,) * 4
