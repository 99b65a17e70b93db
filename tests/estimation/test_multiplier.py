"""Benchmark-multiplier estimates: closed forms, edge cases, pooling and the CLI.

Reference numbers are independent hand calculations of the formulas in the docstrings
(B = 1505 clients on OST, a survey of n = 400 with x = 100 in the benchmark).
"""

import math

import pytest

from estimation.multiplier import multiplier_estimate, rate_per_100k
from estimation.pooling import combine_multipliers

Z = 1.959963984540054


def test_delta_interval_matches_hand_calculation():
    result = multiplier_estimate(1505, 400, 100, method="delta")
    se = 1505 * math.sqrt(0.25 * 0.75 / 400) / 0.25**2  # 521.3429...
    assert result.estimate == pytest.approx(6020.0, rel=1e-12)
    assert result.conf_int() == pytest.approx((6020 - Z * se, 6020 + Z * se), rel=1e-10)
    assert result.conf_int() == pytest.approx((4998.178, 7041.822), abs=1e-3)


def test_log_interval_matches_hand_calculation():
    result = multiplier_estimate(1505, 400, 100, method="log")
    assert result.conf_int() == pytest.approx((5080.1937, 7133.6649), abs=1e-3)


def test_wilson_interval_inverts_the_wilson_bounds_for_p():
    result = multiplier_estimate(1505, 400, 100, method="wilson")
    assert result.conf_int() == pytest.approx((5107.2847, 7163.9712), abs=1e-3)


def test_design_effect_widens_the_interval_by_its_square_root():
    plain = multiplier_estimate(1505, 400, 100, method="delta")
    deff = multiplier_estimate(1505, 400, 100, method="delta", design_effect=2.0)
    half = (plain.ci_high - plain.ci_low) / 2
    assert (deff.ci_high - deff.ci_low) / 2 == pytest.approx(half * math.sqrt(2), rel=1e-12)


def test_poisson_uncertainty_on_the_benchmark_adds_variance():
    result = multiplier_estimate(1505, 400, 100, method="log", benchmark_poisson=True)
    assert result.se_log == pytest.approx(math.sqrt(1 / 1505 + 0.75 / 100), rel=1e-12)


def test_monte_carlo_is_reproducible_and_close_to_the_log_interval():
    first = multiplier_estimate(1505, 400, 100, method="montecarlo", seed=7, n_sim=20000)
    again = multiplier_estimate(1505, 400, 100, method="montecarlo", seed=7, n_sim=20000)
    log = multiplier_estimate(1505, 400, 100, method="log")
    assert first == again
    assert first.ci_low == pytest.approx(log.ci_low, rel=0.03)
    assert first.ci_high == pytest.approx(log.ci_high, rel=0.03)


def test_x_zero_is_a_clear_error():
    with pytest.raises(ValueError, match="x = 0"):
        multiplier_estimate(1505, 400, 0)


@pytest.mark.parametrize("method", ["delta", "log"])
def test_x_equal_n_rejects_zero_width_methods(method):
    with pytest.raises(ValueError, match="x = n"):
        multiplier_estimate(1505, 400, 400, method=method)


@pytest.mark.parametrize("method", ["wilson", "montecarlo"])
def test_x_equal_n_gives_a_finite_interval_starting_at_b(method):
    result = multiplier_estimate(1505, 400, 400, method=method, seed=1)
    assert result.estimate == 1505
    assert 1505 <= result.ci_low < result.ci_high < 1505 * 1.05


def test_pooling_identical_estimates_has_no_heterogeneity():
    one = multiplier_estimate(1505, 400, 100, method="log")
    pooled = combine_multipliers([one, one])
    assert pooled.estimate == pytest.approx(one.estimate, rel=1e-12)
    assert pooled.q == pytest.approx(0.0, abs=1e-12)
    assert pooled.i_squared == 0.0
    # Two equal variances: pooled log-scale se is se / sqrt(2) (own calculation).
    assert math.log(pooled.ci_high / pooled.estimate) == pytest.approx(
        Z * one.se_log / math.sqrt(2), rel=1e-12
    )


def test_pooling_reports_heterogeneity_and_random_effects_widen():
    a = multiplier_estimate(1505, 400, 100, method="log")  # 6,020
    b = multiplier_estimate(2000, 300, 50, method="log")  # 12,000
    fixed = combine_multipliers([a, b])
    random = combine_multipliers([a, b], random_effects=True)
    assert fixed.q > 10 and fixed.p_heterogeneity < 0.01 and fixed.i_squared > 0.9
    assert random.ci_high - random.ci_low > fixed.ci_high - fixed.ci_low
    assert 6020 < fixed.estimate < 12000


def test_pooling_needs_two_estimates():
    with pytest.raises(ValueError, match="at least two"):
        combine_multipliers([multiplier_estimate(1505, 400, 100)])


def test_rate_per_100k():
    # DOMAIN §1: Kazakhstan 165,000 / 14,869,021 -> 1,110 per 100,000 as published.
    assert round(rate_per_100k(165_000, 14_869_021)) == 1110


def test_cli_keys_and_values(run_json):
    out = run_json(
        "multiplier", "--benchmark", "1505", "--sample-size", "400", "--in-benchmark", "100"
    )
    assert set(out) == {"estimate", "ci_low", "ci_high", "method"}
    assert out["method"] == "delta"
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((4998.178, 7041.822), abs=1e-3)


def test_cli_monte_carlo_with_seed_is_reproducible(run_json):
    args = (
        "multiplier",
        "--benchmark",
        "1505",
        "--sample-size",
        "400",
        "--in-benchmark",
        "100",
        "--method",
        "montecarlo",
        "--seed",
        "3",
        "--design-effect",
        "1.5",
    )
    assert run_json(*args) == run_json(*args)


def test_cli_derived_ratio_and_rate(run_json):
    out = run_json(
        "multiplier",
        "--benchmark",
        "1505",
        "--sample-size",
        "400",
        "--in-benchmark",
        "100",
        "--registered",
        "602",
        "--population",
        "6020000",
    )
    assert out["per_registered"]["estimate"] == pytest.approx(10.0)
    assert out["rate_per_100k"]["estimate"] == pytest.approx(100.0)


def test_cli_x_zero_exits_2_with_message(run_cli):
    code, out, err = run_cli(
        "multiplier", "--benchmark", "10", "--sample-size", "50", "--in-benchmark", "0"
    )
    assert code == 2 and out == ""
    assert "error:" in err and "x = 0" in err


def test_cli_combine_pools_a_file_of_multipliers(run_json, tmp_path):
    path = tmp_path / "multipliers.csv"
    path.write_text(
        "name,benchmark,sample_size,in_benchmark\nOST,1505,400,100\nOST again,1505,400,100\n"
    )
    out = run_json("multiplier", "--combine", path, "--method", "log")
    single = multiplier_estimate(1505, 400, 100, method="log")
    assert out["method"] == "pooled-fixed"
    assert out["estimate"] == pytest.approx(single.estimate)
    assert out["q"] == pytest.approx(0.0, abs=1e-12)
    assert [e["weight"] for e in out["estimates"]] == pytest.approx([0.5, 0.5])


def test_cli_combine_and_single_arguments_are_exclusive(run_cli, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("benchmark,sample_size,in_benchmark\n10,20,5\n")
    code, _, err = run_cli("multiplier", "--combine", path, "--benchmark", "10")
    assert code == 2 and "either --combine" in err
    code, _, err = run_cli("multiplier", "--benchmark", "10")
    assert code == 2 and "required" in err


def test_delta_lower_bound_is_clipped_at_the_benchmark_for_small_x():
    # 2 of 50 respondents: se = 100 sqrt(.04 * .96 / 50) / .04^2 = 1732 > N/1.96 (own calc).
    result = multiplier_estimate(100, 50, 2, method="delta")
    assert result.ci_low == 100
    assert result.ci_high == pytest.approx(2500 + Z * 100 * math.sqrt(0.04 * 0.96 / 50) / 0.0016)


def test_binomial_bootstrap_draws():
    result = multiplier_estimate(1505, 400, 100, method="montecarlo", mc_draws="binomial", seed=1)
    log = multiplier_estimate(1505, 400, 100, method="log")
    assert result.ci_low == pytest.approx(log.ci_low, rel=0.05)
    assert result.ci_high == pytest.approx(log.ci_high, rel=0.05)
    with pytest.raises(ValueError, match="unbounded"):
        multiplier_estimate(100, 20, 1, method="montecarlo", mc_draws="binomial", seed=1)
