"""Capture histories: constructors agree and bad input gets a clear error."""

import numpy as np
import pandas as pd
import pytest

from estimation.capture_recapture import CaptureHistories, history_patterns


def test_patterns_in_rcapture_order():
    assert history_patterns(3).tolist() == [
        [1, 1, 1], [1, 1, 0], [1, 0, 1], [1, 0, 0], [0, 1, 1], [0, 1, 0], [0, 0, 1],
    ]  # fmt: skip


def test_three_constructors_agree():
    by_freq = CaptureHistories.from_frequencies(["A", "B"], {"11": 1, "10": 2, "01": 1})
    by_rows = CaptureHistories.from_individuals(
        ["A", "B"], [[1, 1], [1, 0], [1, 0], [0, 1], [0, 0]]
    )
    by_sets = CaptureHistories.from_sets({"A": {"x", "y", "z"}, "B": {"x", "w"}})
    assert by_freq == by_rows == by_sets
    assert by_freq.observed == 4
    assert by_freq.list_totals.tolist() == [3, 2]


def test_from_frame_with_and_without_freq():
    frame = pd.DataFrame({"reg": [1, 1, 0], "ost": [1, 0, 1], "freq": [5, 7, 9]})
    histories = CaptureHistories.from_frame(frame)
    assert histories.lists == ("reg", "ost")
    assert histories.counts.tolist() == [5, 7, 9]
    people = CaptureHistories.from_frame(frame.drop(columns="freq"))
    assert people.counts.tolist() == [1, 1, 1]
    assert CaptureHistories.from_frame(histories.to_frame()) == histories


def test_reorder_and_select():
    histories = CaptureHistories.from_frequencies(["A", "B", "C"], {"110": 3, "001": 4, "100": 1})
    swapped = histories.reorder(["C", "A", "B"])
    assert swapped.lists == ("C", "A", "B")
    assert swapped.observed == histories.observed
    assert histories.select(["A", "B"]).counts.tolist() == [3, 1, 0]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: CaptureHistories.from_frequencies(["A"], {"1": 3}), "at least 2 lists"),
        (
            lambda: CaptureHistories.from_frequencies(["A", "B"], {"11": -1, "10": 2}),
            "non-negative",
        ),
        (lambda: CaptureHistories.from_frequencies(["A", "B"], {"11": 1.5, "10": 2}), "whole"),
        (lambda: CaptureHistories.from_frequencies(["A", "B"], {"11": 0}), "no observations"),
        (lambda: CaptureHistories.from_frequencies(["A", "B"], {"10": 4}), "'B' captured nobody"),
        (lambda: CaptureHistories.from_frequencies(["A", "B"], {"12": 4}), "0 or 1"),
        (lambda: CaptureHistories.from_individuals(["A", "B"], [[1, 2]]), "only 0 and 1"),
        (lambda: CaptureHistories.from_sets({"A": set(), "B": set()}), "no observations"),
        (lambda: CaptureHistories(("A", "A"), np.array([1, 1, 1])), "distinct"),
    ],
)
def test_bad_input_is_rejected(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_counts_are_read_only():
    histories = CaptureHistories.from_frequencies(["A", "B"], {"11": 1, "10": 2, "01": 1})
    with pytest.raises(ValueError):
        histories.counts[0] = 5
