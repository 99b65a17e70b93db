"""Simulated capture histories with a known population size (tests, benchmarks, teaching)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from estimation.capture_recapture.histories import CaptureHistories

__all__ = ["simulate_histories"]


def simulate_histories(
    *,
    population: int,
    probabilities: Sequence[float],
    rng: np.random.Generator,
    lists: Sequence[str] | None = None,
    heterogeneity: float = 0.0,
) -> CaptureHistories:
    """Draw the lists of ``population`` people who are caught independently by each list.

    Parameters
    ----------
    population : int
        True population size ``N``.
    probabilities : sequence of float
        Capture probability of each list (for the average person).
    rng : numpy.random.Generator
        Seeded generator, e.g. ``numpy.random.default_rng(2026)``.
    lists : sequence of str, optional
        List names (default ``L1, L2, ...``).
    heterogeneity : float
        Standard deviation of a person's random effect on the logit scale (0: everyone
        has the same catchability, the assumption of model Mt).
    """
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 1 or len(p) < 2 or np.any((p <= 0) | (p >= 1)):
        raise ValueError("give at least 2 capture probabilities strictly between 0 and 1")
    names = list(lists) if lists is not None else [f"L{i + 1}" for i in range(len(p))]
    logit = np.log(p / (1 - p))
    effect = rng.normal(0.0, heterogeneity, size=(population, 1)) if heterogeneity else 0.0
    prob = 1 / (1 + np.exp(-(logit + effect)))
    caught = (rng.random((population, len(p))) < prob).astype(np.int64)
    return CaptureHistories.from_individuals(names, caught)
