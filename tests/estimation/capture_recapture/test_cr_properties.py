"""Properties every estimate must have, checked on random tables (hypothesis)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimation.capture_recapture import (
    CaptureHistories,
    closed_population_models,
    fit_loglinear,
    petersen,
    search_models,
)

cells3 = st.lists(st.integers(min_value=1, max_value=300), min_size=7, max_size=7)
cells3_sparse = st.lists(st.integers(min_value=0, max_value=60), min_size=7, max_size=7)
permutations3 = st.permutations([0, 1, 2])
SETTINGS = settings(max_examples=40, deadline=None)


def histories3(counts):
    return CaptureHistories(("A", "B", "C"), np.array(counts))


@SETTINGS
@given(cells3_sparse)
def test_estimate_never_below_observed(counts):
    try:
        histories = histories3(counts)
    except ValueError:
        return  # a list that captured nobody, or no observations: rejected up front
    for result in closed_population_models(histories).results:
        if np.isfinite(result.abundance) and result.name not in ("Mb", "Mbh"):
            assert result.abundance >= histories.observed
        if result.fit_ok:
            assert result.abundance >= histories.observed
            low, high = result.conf_int()
            assert histories.observed <= low <= result.abundance <= high


@SETTINGS
@given(cells3, permutations3)
def test_relabelling_lists_leaves_estimates_unchanged(counts, order):
    histories = histories3(counts)
    relabelled = histories.reorder(order)
    before = closed_population_models(histories)
    after = closed_population_models(relabelled)
    # Mb and Mbh model a behavioural response in time order: not label-free by design
    for name in ("M0", "Mt", "Mh Poisson2", "Mh Darroch", "Mth Chao (LB)", "Mth Gamma3.5"):
        assert after[name].abundance == pytest.approx(before[name].abundance, rel=1e-6)
        assert after[name].stderr == pytest.approx(before[name].stderr, rel=1e-4)
    # an interaction follows its lists: [12,3] on the data is [ij,k] after relabelling
    position = {old: new for new, old in enumerate(order)}
    spec = (
        "["
        + "".join(str(position[i] + 1) for i in sorted((0, 1), key=position.get))
        + ","
        + str(position[2] + 1)
        + "]"
    )
    assert fit_loglinear(relabelled, spec).abundance == pytest.approx(
        fit_loglinear(histories, "[12,3]").abundance, rel=1e-6
    )
    best_before = search_models(histories, criterion="aic").results[0]
    best_after = search_models(relabelled, criterion="aic").results[0]
    assert best_after.abundance == pytest.approx(best_before.abundance, rel=1e-6)


@SETTINGS
@given(
    st.integers(min_value=1, max_value=500),
    st.integers(min_value=1, max_value=500),
    st.integers(min_value=1, max_value=500),
)
def test_two_list_mt_is_lincoln_petersen(both, only1, only2):
    histories = CaptureHistories.from_frequencies(
        ["A", "B"], {"11": both, "10": only1, "01": only2}
    )
    expected = petersen(both + only1, both + only2, both)
    assert fit_loglinear(histories, "Mt").abundance == pytest.approx(
        expected.lincoln_petersen, rel=1e-8
    )
    assert expected.chapman >= expected.observed


@settings(max_examples=25, deadline=None)
@given(cells3)
def test_batched_search_equals_one_by_one_fits(counts):
    histories = histories3(counts)
    for result in search_models(histories, criterion="bic").results:
        single = fit_loglinear(histories, result.name)
        assert result.status == single.status
        assert result.abundance == pytest.approx(single.abundance, rel=1e-6)
        assert result.bic == pytest.approx(single.bic, abs=1e-6)
