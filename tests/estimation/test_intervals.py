"""Interval helpers against published values."""

import pytest

from estimation.intervals import exact_poisson_interval, wilson_interval

# Newcombe RG (1998) Stat Med 17:857-872, Table I, method 3 (Wilson score without continuity
# correction), printed to 4 decimals: tolerance 5e-5.
NEWCOMBE_TABLE_I = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("x", "n", "low", "high"), NEWCOMBE_TABLE_I)
def test_wilson_matches_newcombe_table_i(x, n, low, high):
    assert wilson_interval(x, n) == pytest.approx((low, high), abs=5e-5)


def test_wilson_at_x_equal_n_has_upper_bound_one():
    low, high = wilson_interval(20, 20)
    assert high == 1.0
    assert low == pytest.approx(1 - wilson_interval(0, 20)[1], abs=1e-12)


def test_exact_poisson_matches_r_poisson_test():
    # R documentation example (?poisson.test, "SMR, Welsh Nickel workers", from ISwR):
    # > poisson.test(137, 24.19893)$conf.int
    # [1] 4.753125 6.692709
    # (the help page shows the call; the printed interval is R's output as we know it, not
    # pasted from a stored file — it equals qchisq(c(.025, .975), c(274, 276)) / (2 * T)).
    assert exact_poisson_interval(137, 24.19893) == pytest.approx((4.753125, 6.692709), abs=1e-6)


@pytest.mark.parametrize(
    ("alpha", "low", "high"), [(0.10, 31.94, 54.32), (0.05, 30.27, 56.77), (0.01, 27.18, 61.76)]
)
def test_exact_poisson_for_42_events_matches_published_table(alpha, low, high):
    # "Poisson Confidence Intervals in R" (huggingface.co/datasets/nvidia/Nemotron-CC-Math-v1
    # page): 42 events, exact intervals printed to 2 decimals: tolerance 5e-3.
    assert exact_poisson_interval(42, alpha=alpha) == pytest.approx((low, high), abs=5e-3)


def test_exact_poisson_zero_events_has_zero_lower_bound():
    # Closed form for k = 0: upper = -log(alpha/2) / T (own calculation).
    low, high = exact_poisson_interval(0, 10.0)
    assert low == 0.0
    assert high == pytest.approx(-__import__("math").log(0.025) / 10.0, rel=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: wilson_interval(5, 0), "trials must be positive"),
        (lambda: wilson_interval(6, 5), "count must lie"),
        (lambda: wilson_interval(1, 5, alpha=1.5), "alpha"),
        (lambda: exact_poisson_interval(-1, 1.0), "non-negative integer"),
        (lambda: exact_poisson_interval(1, 0.0), "exposure must be positive"),
    ],
)
def test_invalid_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
