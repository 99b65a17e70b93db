"""The coverage study's simulator: latent classes, list dependence, named scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from estimation.capture_recapture import fit_loglinear, simulate_histories
from estimation.capture_recapture.scenarios import SCENARIOS, simulate_scenario


def both_on_lists_1_and_2(histories) -> int:
    patterns = histories.patterns
    return int(histories.counts[(patterns[:, 0] == 1) & (patterns[:, 1] == 1)].sum())


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_seed_gives_the_same_histories_and_another_seed_others(scenario):
    first = simulate_scenario(scenario, population=2000, lists=4, seed=[1, 2])
    assert first == simulate_scenario(scenario, population=2000, lists=4, seed=[1, 2])
    assert first != simulate_scenario(scenario, population=2000, lists=4, seed=[2, 2])
    assert first.n_lists == 4 and 0 < first.observed < 2000


def test_without_classes_or_dependence_the_draws_are_those_of_independent_lists():
    plain = simulate_histories(population=3000, probabilities=[0.2, 0.3, 0.25],
                               rng=np.random.default_rng(5))  # fmt: skip
    rng = np.random.default_rng(5)
    caught = (rng.random((3000, 3)) < np.array([0.2, 0.3, 0.25])).astype(int)
    assert plain.observed == int(caught.any(axis=1).sum())
    assert plain.list_totals.tolist() == caught.sum(axis=0).tolist()


def test_heterogeneity_makes_mt_underestimate_and_independence_does_not():
    for seed in range(5):
        independent = simulate_scenario("independent", population=20000, lists=4, seed=seed)
        hetero = simulate_scenario("heterogeneity", population=20000, lists=4, seed=seed)
        assert abs(fit_loglinear(independent, "Mt").abundance / 20000 - 1) < 0.05
        assert fit_loglinear(hetero, "Mt").abundance < 0.7 * 20000


def test_positive_dependence_raises_and_negative_lowers_the_overlap_of_lists_1_and_2():
    for seed in range(3):
        counts = {
            name: both_on_lists_1_and_2(
                simulate_scenario(name, population=20000, lists=3, seed=seed)
            )
            for name in ("independent", "positive", "negative")
        }
        expected = 20000 * 0.15 * 0.20  # list 1 and list 2 independently: 600
        assert abs(counts["independent"] / expected - 1) < 0.15
        assert counts["positive"] > 2 * counts["independent"]
        assert counts["negative"] < counts["independent"] / 2


def test_latent_classes_shift_every_list_alike():
    rng = np.random.default_rng(3)
    histories = simulate_histories(population=20000, probabilities=[0.2, 0.2, 0.2], rng=rng,
                                   classes=[(0.5, -3.0), (0.5, 3.0)])  # fmt: skip
    # half the people are nearly always caught, half nearly never: the lists overlap far
    # more than independent lists of the same sizes would
    totals = histories.list_totals / 20000
    on_all = int(histories.counts[histories.patterns.sum(axis=1) == 3].sum()) / 20000
    assert on_all > 3 * float(np.prod(totals))  # 0.5 * 0.83**3 against 0.42**3


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"classes": [(0.5, 0.0), (0.4, 1.0)]}, "sum to 1"),
        ({"classes": [(-0.5, 0.0), (1.5, 1.0)]}, "positive"),
        ({"dependence": {(1, 0): 2.0}}, "i < j"),
        ({"dependence": {(0, 3): 2.0}}, "i < j"),
        ({"dependence": {(0, 1): 0.0}}, "odds ratio"),
    ],
)
def test_bad_classes_or_dependence_are_refused(keywords, message):
    with pytest.raises(ValueError, match=message):
        simulate_histories(population=100, probabilities=[0.2, 0.3, 0.4],
                           rng=np.random.default_rng(1), **keywords)  # fmt: skip


def test_unknown_scenario_and_too_many_lists_are_refused():
    with pytest.raises(ValueError, match="unknown scenario"):
        simulate_scenario("nonsense", population=100, lists=3, seed=1)
    with pytest.raises(ValueError, match="2 to 5 lists"):
        simulate_scenario("independent", population=100, lists=6, seed=1)
