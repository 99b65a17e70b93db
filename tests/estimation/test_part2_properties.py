"""Property-based checks (hypothesis) of invariants that every input must satisfy."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from estimation.count_estimators import chao, ztpoisson
from estimation.coverage import ost_coverage
from estimation.intervals import exact_poisson_interval, wilson_interval
from estimation.multiplier import multiplier_estimate
from estimation.retention import kaplan_meier

FAST = settings(max_examples=60, deadline=None)


@FAST
@given(n=st.integers(1, 5000), data=st.data())
def test_wilson_interval_is_inside_unit_interval_and_contains_p(n, data):
    x = data.draw(st.integers(0, n))
    low, high = wilson_interval(x, n)
    assert 0.0 <= low <= x / n <= high <= 1.0


@FAST
@given(k=st.integers(0, 2000), exposure=st.floats(0.01, 1e5))
def test_exact_poisson_interval_contains_the_rate(k, exposure):
    low, high = exact_poisson_interval(k, exposure)
    assert 0.0 <= low <= k / exposure < high


@FAST
@given(
    benchmark=st.integers(1, 100_000),
    n=st.integers(2, 3000),
    data=st.data(),
    method=st.sampled_from(["log", "wilson", "montecarlo"]),
)
def test_multiplier_interval_contains_the_estimate_and_is_at_least_b(benchmark, n, data, method):
    x = data.draw(st.integers(1, n - 1))
    result = multiplier_estimate(benchmark, n, x, method=method, seed=0, n_sim=2000)
    assert result.ci_low <= result.estimate * 1.05 and result.estimate <= result.ci_high * 1.05
    assert result.ci_low >= benchmark * 0.999 or method == "log"
    assert np.isfinite([result.ci_low, result.ci_high]).all()


@FAST
@given(
    freq=st.dictionaries(st.integers(1, 8), st.integers(0, 500), min_size=1).filter(
        lambda f: f.get(1, 0) > 0 and sum(v for k, v in f.items() if k > 1) > 0
    )
)
def test_single_list_estimates_are_at_least_the_observed(freq):
    n = sum(freq.values())
    for result in (chao(freq), ztpoisson(freq)):
        assert n <= result.ci_low <= result.estimate <= result.ci_high
        assert np.isfinite([result.estimate, result.ci_low, result.ci_high]).all()


@FAST
@given(
    rows=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 1)), min_size=1, max_size=80),
    conf_type=st.sampled_from(["log", "log-log", "plain"]),
)
def test_kaplan_meier_is_a_non_increasing_curve_inside_its_band(rows, conf_type):
    durations, events = zip(*rows, strict=True)
    curve = kaplan_meier(durations, events, conf_type=conf_type)
    surv = np.array(curve.survival)
    assert np.all(np.diff(surv) <= 1e-12)
    assert np.all((surv >= 0) & (surv <= 1))
    assert np.all(np.array(curve.ci_low) <= surv + 1e-12)
    assert np.all(surv <= np.array(curve.ci_high) + 1e-12)
    for t in (0, 182, 365, 1000):
        point = curve.at(t)
        assert point.survival is None or 0 <= point.survival <= 1


@FAST
@given(
    on_ost=st.integers(0, 10_000),
    estimate=st.floats(1, 1e6),
    spread=st.floats(1.0, 3.0),
)
def test_coverage_interval_is_ordered(on_ost, estimate, spread):
    estimate = max(estimate, on_ost)
    result = ost_coverage(on_ost, estimate, estimate / spread, estimate * spread)
    assert 0 <= result.ci_low <= result.coverage <= result.ci_high <= 1
