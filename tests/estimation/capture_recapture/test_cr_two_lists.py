"""Two-list estimators: textbook values and their interval."""

import pytest

from estimation.capture_recapture import CaptureHistories, fit_loglinear, petersen


def test_values():
    result = petersen(500, 400, 100)
    assert result.lincoln_petersen == 2000.0
    assert result.chapman == pytest.approx(501 * 401 / 101 - 1)
    variance = 501 * 401 * 400 * 300 / (101**2 * 102)
    assert result.stderr == pytest.approx(variance**0.5)
    assert result.observed == 800


def test_chao_interval_never_below_observed_and_normal_is_symmetric():
    result = petersen(30, 20, 15)
    low, high = result.conf_int()
    assert low >= result.observed
    assert low < result.chapman < high
    normal = result.conf_int(method="normal")
    assert normal[1] - result.chapman == pytest.approx(result.chapman - normal[0])


def test_no_overlap():
    result = petersen(10, 10, 0)
    assert result.lincoln_petersen == float("inf")
    assert result.chapman == 120.0


@pytest.mark.parametrize(
    ("args", "message"),
    [((10, 5, 6), "cannot exceed"), ((-1, 5, 0), "non-negative"), ((10, 5, 1.5), "whole"),
     ((0, 5, 0), "capture somebody")],
)  # fmt: skip
def test_bad_counts(args, message):
    with pytest.raises(ValueError, match=message):
        petersen(*args)


def test_mt_equals_lincoln_petersen_on_two_lists():
    histories = CaptureHistories.from_frequencies(["A", "B"], {"11": 100, "10": 400, "01": 300})
    assert fit_loglinear(histories, "Mt").abundance == pytest.approx(2000.0, rel=1e-9)
    assert fit_loglinear(histories, "[1,2]").abundance == pytest.approx(2000.0, rel=1e-9)
