"""Interval methods on small tables (Cormack's exact correction below N = 100)."""

import math

import numpy as np
import pytest

from estimation.capture_recapture import CaptureHistories, fit_loglinear
from estimation.capture_recapture.intervals import _cormack_correction, chao_log_interval

SMALL = CaptureHistories(("A", "B", "C"), np.array([3, 4, 5, 12, 6, 10, 14]))


def test_cormack_correction_branches_agree_near_100():
    # exact log(n0^n0 N! / (N^N n0!)) below 100, Stirling's form above: close at the switch
    exact = _cormack_correction(30.0, 100.0)
    stirling = 30.0 - 100.0 - 0.5 * math.log(30.0 / 100.0)
    assert exact == pytest.approx(stirling, abs=0.01)


@pytest.mark.parametrize("method", ["wald", "lognormal", "chao", "profile"])
def test_every_interval_brackets_the_estimate_on_a_small_table(method):
    result = fit_loglinear(SMALL, "Mt")
    assert result.observed == 54
    low, high = result.conf_int(0.05, method)
    assert low < result.abundance < high
    if method != "wald":
        assert low >= result.observed
    wider = result.conf_int(0.01, method)
    assert wider[0] <= low and wider[1] >= high


def test_chao_interval_when_nobody_is_missed():
    assert chao_log_interval(50, 50.0, 0.0, 0.05) == (50.0, 50.0)
    assert all(math.isnan(v) for v in chao_log_interval(50, float("inf"), 1.0, 0.05))


def test_alpha_is_validated():
    with pytest.raises(ValueError, match="alpha"):
        fit_loglinear(SMALL, "Mt").conf_int(alpha=1.5)
