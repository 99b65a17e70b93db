"""The shortcuts of the MLE-existence check decide exactly as the linear programme does.

:func:`mle_exists_many` skips most linear programmes (zero margins, monotonicity in the
model's columns, models whose fit keeps zero cells away from 0); on random sparse tables
its decision for every model equals :func:`mle_exists` run model by model.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from estimation.capture_recapture import CaptureHistories, fit_loglinear, rome_hiv, search_models
from estimation.capture_recapture.candidates import enumerate_models, search_design
from estimation.capture_recapture.identifiability import (
    mle_exists,
    mle_exists_many,
    no_mle_direction,
)
from estimation.capture_recapture.search import fit_masks

pytestmark = pytest.mark.slow

SETTINGS = settings(max_examples=25, deadline=None)


def sparse_table(k):
    """Counts of the ``2**k - 1`` observable histories, mostly zero or small."""
    cell = st.one_of(st.just(0), st.just(0), st.integers(1, 3), st.integers(4, 200))
    return st.lists(cell, min_size=2**k - 1, max_size=2**k - 1)


def linear_programme_decisions(design, y):
    return np.array([mle_exists(design.X[:, mask], y) for mask in design.masks])


def check(counts, k, heterogeneity=None):
    """The shortcuts decide as the programme on every model of the ``k``-list search (all
    hierarchical models up to 4 lists): every 4-list test below starts with this check."""
    try:
        histories = CaptureHistories(tuple(f"L{i}" for i in range(k)), np.array(counts))
    except ValueError:  # nobody observed, or a list that captured nobody
        assume(False)
    order = k - 1 if k <= 4 else 2
    design = search_design(histories, enumerate_models(k, order), order, heterogeneity)
    y = histories.counts.astype(float)
    expected = linear_programme_decisions(design, y)
    assert np.array_equal(mle_exists_many(design.X, design.masks, y), expected)
    return histories, expected


@SETTINGS
@given(sparse_table(3))
def test_three_lists(counts):
    check(counts, 3)
    check(counts, 3, "Chao")


@settings(max_examples=4, deadline=None)
@given(sparse_table(5))
def test_five_lists_pairwise(counts):
    check(counts, 5)


@SETTINGS
@given(sparse_table(4))
def test_search_statuses_follow_the_linear_programme(counts):
    """In a search, the fits pick the suspects: the ``no_mle`` statuses still equal the
    linear programme's decisions on every model with a full-rank design."""
    histories, exists = check(counts, 4)
    table = search_models(histories)
    design = search_design(histories, enumerate_models(4, 3), 3)
    for name, decision in zip(design.names, exists, strict=True):
        result = table[name]
        if result.status != "not_identifiable":
            assert (result.status == "no_mle") == (not decision), name


@SETTINGS
@given(sparse_table(4))
def test_single_fits_follow_the_linear_programme(counts):
    """``fit_loglinear`` skips the programme for fits that stay away from the boundary; its
    ``no_mle`` status still equals the programme's decision."""
    histories, _ = check(counts, 4)
    y = histories.counts.astype(float)
    for model in ("[1,2,3,4]", "[12,3,4]", "[12,13,14]", "[123,4]", "[12,13,14,23,24,34]"):
        result = fit_loglinear(histories, model)
        if result.status != "not_identifiable":
            decision = mle_exists(result.design, y)
            assert (result.status == "no_mle" and "does not exist" in result.message) == (
                not decision
            ), model


def _proofs(histories, order):
    """For each model of a search: does its fit's direction prove that no MLE exists?"""
    design = search_design(histories, enumerate_models(histories.n_lists, order), order)
    y = histories.counts.astype(float)
    fit = fit_masks(design.X, y, design.masks)
    eta = fit.coef @ design.X.T
    proofs = [no_mle_direction(design.X[:, mask], y, eta[i]) for i, mask in enumerate(design.masks)]
    return design, y, np.array(proofs)


@SETTINGS
@given(sparse_table(4))
def test_a_direction_proves_no_mle_only_where_the_programme_finds_none(counts):
    histories, expected = check(counts, 4)
    _, _, proofs = _proofs(histories, 3)
    assert not np.any(proofs & expected)


def test_the_directions_spare_the_rome_search_every_linear_programme():
    """The Rome data: the fits' directions settle the suspects, so scipy is not needed."""
    design, y, proofs = _proofs(rome_hiv(), 3)
    expected = linear_programme_decisions(design, y)
    assert proofs.any()
    assert not np.any(proofs & expected)


def test_a_fit_that_only_looks_headed_for_the_boundary_proves_nothing():
    """Independence of 3 lists with one empty cell: the MLE exists, so no direction may be
    found, however small the fitted mean of that cell is said to be."""
    histories = CaptureHistories.from_frequencies(
        ["A", "B", "C"], {"100": 30, "010": 25, "001": 20, "110": 6, "101": 5, "011": 4}
    )
    design = search_design(histories, [()], 1)
    X, y = design.X, histories.counts.astype(float)
    assert mle_exists(X, y)
    eta = np.where(y == 0, -30.0, np.log(np.maximum(y, 1.0)))
    assert not no_mle_direction(X, y, eta)
