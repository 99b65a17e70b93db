"""Synthesis of several estimates: hand-checkable cases and an independent integration.

The hand checks: two identical inputs give that input; with no heterogeneity
(``tau_scale=0``) the consensus is inverse-variance pooling of the logarithms; a very
uncertain input barely moves the consensus; inputs whose intervals do not overlap warn.
The grid computation is checked against a brute-force two-dimensional integral of the
same posterior (scipy's ``quad``), which shares no code with it.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import integrate, stats

from estimation import SynthesisInput, synthesise

CAPTURE = SynthesisInput("capture-recapture", 10_000, 8_000, 12_500)
MULTIPLIER_OST = SynthesisInput("multiplier OST", 14_000, 10_000, 20_000)
MULTIPLIER_HIV = SynthesisInput("multiplier HIV", 6_000, 4_000, 9_000)
Z = stats.norm.ppf(0.975)


def log_sd(estimate: SynthesisInput) -> float:
    return math.log(estimate.ci_high / estimate.ci_low) / (2 * Z)


@pytest.mark.parametrize("tau_scale", [0.0, 0.1, 0.5, 2.0])
def test_two_identical_inputs_give_that_input(tau_scale):
    result = synthesise([CAPTURE, CAPTURE], tau_scale=tau_scale)
    assert result.estimate == pytest.approx(10_000, rel=1e-9)
    assert [i.weight for i in result.influences] == pytest.approx([0.5, 0.5])
    assert [i.shift for i in result.influences] == pytest.approx([0, 0], abs=1e-9)
    assert result.warnings == ()


def test_without_heterogeneity_two_identical_inputs_halve_the_variance():
    result = synthesise([CAPTURE, CAPTURE], tau_scale=0)
    half = Z * log_sd(CAPTURE) / math.sqrt(2)  # the variance of the mean of two
    assert result.ci_low == pytest.approx(10_000 * math.exp(-half), rel=1e-9)
    assert result.ci_high == pytest.approx(10_000 * math.exp(half), rel=1e-9)


def test_without_heterogeneity_it_is_inverse_variance_pooling_by_hand():
    result = synthesise([CAPTURE, MULTIPLIER_OST], tau_scale=0)
    w = np.array([1 / log_sd(CAPTURE) ** 2, 1 / log_sd(MULTIPLIER_OST) ** 2])
    y = np.log([10_000, 14_000])
    mean, sd = float(w @ y / w.sum()), 1 / math.sqrt(w.sum())
    assert result.estimate == pytest.approx(math.exp(mean), rel=1e-9)
    assert result.conf_int() == pytest.approx(
        (math.exp(mean - Z * sd), math.exp(mean + Z * sd)), rel=1e-9
    )
    assert [i.weight for i in result.influences] == pytest.approx(list(w / w.sum()))
    # every synthesis also reports this pooling, to show what the heterogeneity adds
    wider = synthesise([CAPTURE, MULTIPLIER_OST], tau_scale=0.5)
    assert wider.common == pytest.approx((result.estimate, *result.conf_int()), rel=1e-12)
    assert wider.ci_high / wider.ci_low > result.ci_high / result.ci_low


def test_a_confidence_weight_divides_the_variance():
    doubted = SynthesisInput("doubted", 14_000, 10_000, 20_000, weight=0.25)
    result = synthesise([CAPTURE, doubted], tau_scale=0)
    w = np.array([1 / log_sd(CAPTURE) ** 2, 0.25 / log_sd(MULTIPLIER_OST) ** 2])
    assert [i.weight for i in result.influences] == pytest.approx(list(w / w.sum()))


def test_a_very_uncertain_input_barely_moves_the_consensus():
    vague = SynthesisInput("guess", 50_000, 10, 250_000_000)
    alone = synthesise([CAPTURE, MULTIPLIER_OST, MULTIPLIER_HIV])
    result = synthesise([CAPTURE, MULTIPLIER_OST, MULTIPLIER_HIV, vague])
    assert result.estimate == pytest.approx(alone.estimate, rel=0.01)
    assert result.influences[3].weight < 0.01
    assert abs(result.influences[3].shift) < 0.01
    assert result.influences[3].without == pytest.approx(alone.estimate, rel=1e-9)
    assert result.disjoint == ((1, 2),)  # the two multipliers; the guess overlaps all


def test_inputs_whose_intervals_do_not_overlap_warn():
    low = SynthesisInput("low", 1_000, 900, 1_100)
    high = SynthesisInput("high", 5_000, 4_500, 5_500)
    result = synthesise([low, high, SynthesisInput("middle", 1_050, 800, 1_300)])
    assert result.disjoint == ((0, 1), (1, 2))
    assert result.warnings == ("disjoint_intervals", "heterogeneity")
    agreeing = synthesise([CAPTURE, SynthesisInput("other", 11_000, 8_500, 14_000)])
    assert agreeing.warnings == () and agreeing.p_heterogeneity > 0.1


def test_the_influence_of_the_outlying_input_is_the_largest_shift():
    result = synthesise([CAPTURE, MULTIPLIER_OST, MULTIPLIER_HIV])
    shifts = [i.shift for i in result.influences]
    assert shifts[1] > 0 > shifts[2]  # the high one pulls up, the low one down
    assert sum(i.weight for i in result.influences) == pytest.approx(1)
    for k, influence in enumerate(result.influences):
        others = [x for j, x in enumerate(result.inputs) if j != k]
        assert influence.without == pytest.approx(synthesise(others).estimate, rel=1e-12)
        assert influence.shift == pytest.approx(math.log(result.estimate / influence.without))


def brute_force_cdf(inputs, tau_scale: float, value: float) -> float:
    """P(mu <= value | y) by nested adaptive quadrature over (tau, mu)."""
    y = np.log([i.estimate for i in inputs])
    s2 = np.array([log_sd(i) ** 2 for i in inputs])
    centre = float(np.mean(y))

    def density(mu: float, tau: float) -> float:
        v = s2 + tau**2
        log_lik = -0.5 * np.sum(np.log(v) + (y - mu) ** 2 / v)
        return math.exp(log_lik - 0.5 * (tau / tau_scale) ** 2)

    def over_mu(tau: float, upper: float) -> float:
        return integrate.quad(density, centre - 15, upper, args=(tau,), epsabs=0, limit=200)[0]

    top = 8 * tau_scale
    below = integrate.quad(over_mu, 0, top, args=(value,), epsabs=0, limit=200)[0]
    total = integrate.quad(over_mu, 0, top, args=(centre + 15,), epsabs=0, limit=200)[0]
    return below / total


def test_the_grid_posterior_matches_a_brute_force_integral():
    inputs = [CAPTURE, MULTIPLIER_OST, MULTIPLIER_HIV]
    result = synthesise(inputs, tau_scale=0.5)
    for value, p in ((result.estimate, 0.5), (result.ci_low, 0.025), (result.ci_high, 0.975)):
        assert brute_force_cdf(inputs, 0.5, math.log(value)) == pytest.approx(p, abs=2e-4)


@pytest.mark.parametrize(
    ("inputs", "options", "message"),
    [
        ([CAPTURE], {}, "at least two"),
        ([CAPTURE, CAPTURE], {"tau_scale": -1}, "tau_scale"),
        ([CAPTURE, CAPTURE], {"alpha": 1.5}, "alpha"),
    ],
)
def test_bad_arguments_are_refused(inputs, options, message):
    with pytest.raises(ValueError, match=message):
        synthesise(inputs, **options)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ((100, 120, 150), "ci_low <= estimate"),
        ((100, 100, 100), "zero width"),
        ((100, 80, float("inf")), "finite"),
        ((0, 0, 10), "0 < ci_low"),
    ],
)
def test_an_input_needs_an_interval_around_its_estimate(values, message):
    with pytest.raises(ValueError, match=message):
        SynthesisInput("x", *values)
    with pytest.raises(ValueError, match="weight"):
        SynthesisInput("x", 100, 80, 120, weight=0)


def test_the_command_line_prints_the_consensus_and_the_inputs(tmp_path, capsys):
    from estimation.cli import main

    table = tmp_path / "estimates.csv"
    table.write_text(
        "label;estimate;ci_low;ci_high;weight\n"
        "capture-recapture;10000;8000;12500;\n"
        "multiplier OST;14000;10000;20000;0.5\n"
    )
    assert main(["synthesis", str(table), "--tau-scale", "0.3", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    doubted = SynthesisInput("multiplier OST", 14_000, 10_000, 20_000, weight=0.5)
    expected = synthesise([CAPTURE, doubted], tau_scale=0.3)
    assert printed["estimate"] == pytest.approx(expected.estimate, rel=1e-12)
    assert [row["weight"] for row in printed["inputs"]] == [1.0, 0.5]
    assert [row["label"] for row in printed["inputs"]] == ["capture-recapture", "multiplier OST"]
    table.write_text("estimate,ci_low,ci_high\n100,120,150\n100,80,120\n")
    assert main(["synthesis", str(table)]) == 2
    assert "ci_low <= estimate" in capsys.readouterr().err
