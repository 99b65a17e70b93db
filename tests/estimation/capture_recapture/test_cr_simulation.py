"""Seeded simulation: under independence the Mt interval covers the true N as it should."""

import numpy as np

from estimation.capture_recapture import fit_loglinear, simulate_histories

TRUE_N = 2000
REPLICATES = 200


def test_mt_interval_coverage_under_independence():
    rng = np.random.default_rng(20261128)
    covered = 0
    for _ in range(REPLICATES):
        histories = simulate_histories(population=TRUE_N, probabilities=[0.15, 0.2, 0.25], rng=rng)
        result = fit_loglinear(histories, "Mt")
        assert result.fit_ok
        low, high = result.conf_int(0.05)
        covered += low <= TRUE_N <= high
    coverage = covered / REPLICATES
    assert 0.90 <= coverage <= 0.99, coverage


def test_simulation_is_reproducible_with_a_seed():
    a = simulate_histories(population=500, probabilities=[0.3, 0.4], rng=np.random.default_rng(7))
    b = simulate_histories(population=500, probabilities=[0.3, 0.4], rng=np.random.default_rng(7))
    assert a == b
