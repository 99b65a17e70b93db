"""The bootstrap's selection without the candidates that cannot win (selection.py): the
same model and abundance as fitting every candidate, with far fewer fits."""

import numpy as np
import pytest

from estimation.capture_recapture import selection
from estimation.capture_recapture.candidates import enumerate_models, search_design
from estimation.capture_recapture.scenarios import SCENARIOS
from estimation.capture_recapture.search import fit_masks, results_from_batch
from estimation.capture_recapture.selection import bounding_models, select_best


def replicates(scenario: str, population: int, lists: int, tables: int, seed: int):
    """A search design on simulated histories, the leaders and bootstrap tables."""
    histories = SCENARIOS[scenario].simulate(population, lists, np.random.default_rng(seed))
    order = lists - 1
    design = search_design(histories, enumerate_models(lists, order), order)
    results = results_from_batch(
        histories, design, fit_masks(design.X, histories.counts, design.masks)
    )
    aic = np.array([r.aic if r.usable else np.inf for r in results])
    n = histories.observed
    draws = np.random.default_rng(seed + 1).multinomial(n, histories.counts / n, size=tables)
    return design, np.argsort(aic)[:16], draws


def assert_same_selection(design, leaders, draws, criterion):
    every, every_best = select_best(design, draws, criterion, leaders, prune=False)
    pruned, pruned_best = select_best(design, draws, criterion, leaders)
    assert [design.names[i] for i in pruned_best] == [design.names[i] for i in every_best]
    # the same fit of the selected model, in another batch: equal to rounding
    np.testing.assert_allclose(pruned, every, rtol=1e-9)


# sparse and dense tables, with and without dependence and heterogeneity; 5-list
# exhaustive selection costs about 0.3 s a table
CASES = [
    ("independent", 2000, 5, 3),
    ("heterogeneity", 2000, 5, 3),
    ("negative", 20000, 5, 2),
    ("positive", 2000, 4, 40),
    ("heterogeneity_dependence", 20000, 4, 40),
    ("independent", 500, 4, 40),
    ("negative", 2000, 3, 60),
]


@pytest.mark.parametrize(("scenario", "population", "lists", "tables"), CASES)
@pytest.mark.parametrize("criterion", ["aic", "bic"])
def test_pruned_selection_equals_fitting_every_candidate(
    scenario, population, lists, tables, criterion
):
    design, leaders, draws = replicates(scenario, population, lists, tables, seed=31)
    assert_same_selection(design, leaders, draws, criterion)


def test_tables_where_no_candidate_fits_give_nan_either_way():
    design, leaders, draws = replicates("independent", 300, 4, 30, seed=5)
    sparse = draws.copy()
    sparse[:10, :] = 0
    sparse[:10, 0] = 3  # one history only: every fit of these tables fails
    every, _ = select_best(design, sparse, "aic", leaders, prune=False)
    pruned, _ = select_best(design, sparse, "aic", leaders)
    assert np.isnan(every[:10]).all() and np.isnan(pruned[:10]).all()
    np.testing.assert_allclose(pruned[10:], every[10:], rtol=1e-9)


def test_bounding_models_hold_every_candidate_lacking_their_columns():
    masks = search_design(
        SCENARIOS["independent"].simulate(1000, 5, np.random.default_rng(1)),
        enumerate_models(5, 4),
        4,
    ).masks
    bounds = bounding_models(masks)
    optional = np.flatnonzero(~masks.all(axis=0))
    assert len(optional) == 25
    for column in optional:
        lacking = ~masks[:, column]
        holders = [b for b in bounds if not masks[b, column]]
        # one bounding model lacks this column and contains every candidate that does
        assert any(not np.any(masks[lacking] & ~masks[b]) for b in holders)


def test_a_five_list_bootstrap_fits_a_small_share_of_the_candidates(monkeypatch):
    design, leaders, draws = replicates("positive", 20000, 5, 4, seed=8)
    fitted = []

    def counting(X, Y, masks, **options):
        fitted.append(len(masks))
        return fit_masks(X, Y, masks, **options)

    monkeypatch.setattr(selection, "fit_masks", counting)
    select_best(design, draws, "aic", leaders)
    share = sum(fitted) / (len(draws) * len(design.masks))
    assert share < 0.25  # about 7% on such data; every candidate without the bounds


def test_two_lists_without_leaders_and_no_tables():
    """No bounding model (two lists have no interaction) and no leaders: nothing is fitted
    before the rounds, and the perfect fit alone bounds; no table gives an empty answer."""
    histories = SCENARIOS["independent"].simulate(2000, 2, np.random.default_rng(1))
    design = search_design(histories, enumerate_models(2, 1), 1)
    assert bounding_models(design.masks).size == 0
    n = histories.observed
    draws = np.random.default_rng(2).multinomial(n, histories.counts / n, size=5)
    every, _ = select_best(design, draws, "aic", prune=False)
    pruned, best = select_best(design, draws, "aic")
    np.testing.assert_allclose(pruned, every, rtol=1e-12)
    assert (best == 0).all()
    estimates, best = select_best(design, draws[:0], "bic")
    assert estimates.shape == best.shape == (0,)
