"""The bootstrap's replicate batches: progress between them, stopping, same figures."""

import importlib

import numpy as np
import pytest

from estimation.capture_recapture import CaptureHistories, bootstrap

# the package exports the function under the module's name
bootstrap_module = importlib.import_module("estimation.capture_recapture.bootstrap")

DEPENDENT = CaptureHistories.from_frequencies(
    ["A", "B", "C"],
    {"111": 40, "110": 120, "101": 20, "100": 100, "011": 20, "010": 100, "001": 150},
)


class StopError(Exception):
    """What a cancelled job's checkpoint raises."""


def test_progress_is_reported_before_the_first_batch_and_after_each(monkeypatch):
    monkeypatch.setattr(bootstrap_module, "BATCH_REPLICATES", 40)
    calls: list[tuple[int, int]] = []
    result = bootstrap(DEPENDENT, rng=np.random.default_rng(3), replicates=100,
                       progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    assert calls == [(0, 100), (40, 100), (80, 100), (100, 100)]
    assert len(result.replicates) == 100


def test_the_batch_size_does_not_change_the_figures(monkeypatch):
    whole = bootstrap(DEPENDENT, rng=np.random.default_rng(5), replicates=90, criterion="aic")
    monkeypatch.setattr(bootstrap_module, "BATCH_REPLICATES", 7)
    batched = bootstrap(DEPENDENT, rng=np.random.default_rng(5), replicates=90, criterion="aic")
    np.testing.assert_array_equal(batched.replicates, whole.replicates)
    assert batched.selected == whole.selected


def test_an_exception_from_progress_stops_the_bootstrap_between_batches(monkeypatch):
    monkeypatch.setattr(bootstrap_module, "BATCH_REPLICATES", 10)
    calls: list[int] = []

    def cancel_after_the_first_batch(done: int, total: int) -> None:
        calls.append(done)
        if done > 0:
            raise StopError

    with pytest.raises(StopError):
        bootstrap(DEPENDENT, rng=np.random.default_rng(3), replicates=1000,
                  progress=cancel_after_the_first_batch)  # fmt: skip
    assert calls == [0, 10]  # 10 of 1000 replicates fitted, then stopped


def test_the_stepwise_bootstrap_reports_progress_and_can_be_stopped(monkeypatch):
    monkeypatch.setattr(bootstrap_module, "STEPWISE_BATCH", 4)
    calls: list[tuple[int, int]] = []
    bootstrap(DEPENDENT, rng=np.random.default_rng(8), replicates=10, stepwise=True,
              progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    assert calls == [(0, 10), (4, 10), (8, 10), (10, 10)]

    def stop(done: int, total: int) -> None:
        if done:
            raise StopError

    with pytest.raises(StopError):
        bootstrap(DEPENDENT, rng=np.random.default_rng(8), replicates=10, stepwise=True,
                  progress=stop)  # fmt: skip
