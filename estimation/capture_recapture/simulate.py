"""Simulated capture histories with a known population size (tests, benchmarks, teaching).

Besides independent lists, :func:`simulate_histories` draws the two departures from
model Mt that break log-linear estimation in practice:

* **individual heterogeneity**: people differ in how catchable they are, by the same
  amount on every list, either as a normal random effect on the logit scale
  (``heterogeneity``) or as latent classes (``classes``: each class's share of the
  population and its shift of every list's logit), the model of LCMCR
  (Manrique-Vallier 2016);
* **list dependence**: being on one list changes the odds of being on a later one
  (``dependence``: ``{(i, j): odds_ratio}`` with ``i < j``; above 1 positive dependence,
  e.g. police referring to treatment; below 1 negative, a list that lowers another's
  capture chance).

Named combinations of them, the scenarios of the coverage study, are in
:mod:`~estimation.capture_recapture.scenarios`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
    classes: Sequence[tuple[float, float]] | None = None,
    dependence: Mapping[tuple[int, int], float] | None = None,
) -> CaptureHistories:
    """Draw the lists of ``population`` people caught by each list with given chances.

    Parameters
    ----------
    population : int
        True population size ``N``.
    probabilities : sequence of float
        Capture probability of each list (for a person with no shift and on no earlier
        list that the list depends on).
    rng : numpy.random.Generator
        Seeded generator, e.g. ``numpy.random.default_rng(2026)``: the same seed gives
        the same histories.
    lists : sequence of str, optional
        List names (default ``L1, L2, ...``).
    heterogeneity : float
        Standard deviation of a person's random effect on the logit scale (0: everyone
        has the same catchability, the assumption of model Mt).
    classes : sequence of (share, shift), optional
        Latent classes of catchability: each person falls in a class with probability
        ``share`` (the shares sum to 1), and ``shift`` is added to every list's logit.
    dependence : mapping of (i, j) to float, optional
        Odds ratio of capture by list ``j`` for people on list ``i`` (0-based, ``i < j``).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> h = simulate_histories(population=1000, probabilities=[0.3, 0.3, 0.3], rng=rng,
    ...                        classes=[(0.5, -1.0), (0.5, 1.0)], dependence={(0, 1): 0.3})
    >>> h.n_lists, h.observed < 1000
    (3, True)
    """
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 1 or len(p) < 2 or np.any((p <= 0) | (p >= 1)):
        raise ValueError("give at least 2 capture probabilities strictly between 0 and 1")
    k = len(p)
    names = list(lists) if lists is not None else [f"L{i + 1}" for i in range(k)]
    logit = np.broadcast_to(np.log(p / (1 - p)), (population, k)).copy()
    if heterogeneity:
        logit += rng.normal(0.0, heterogeneity, size=(population, 1))
    if classes:
        logit += _class_shifts(classes, population, rng)[:, None]
    links = _check_dependence(dependence or {}, k)
    uniform = rng.random((population, k))
    caught = np.zeros((population, k), dtype=np.int64)
    for j in range(k):
        shift = sum(np.log(ratio) * caught[:, i] for (i, target), ratio in links if target == j)
        caught[:, j] = uniform[:, j] < 1 / (1 + np.exp(-(logit[:, j] + shift)))
    return CaptureHistories.from_individuals(names, caught)


def _class_shifts(
    classes: Sequence[tuple[float, float]], population: int, rng: np.random.Generator
) -> np.ndarray:
    shares = np.array([share for share, _ in classes], dtype=float)
    shifts = np.array([shift for _, shift in classes], dtype=float)
    if np.any(shares <= 0) or not np.isclose(shares.sum(), 1.0):
        raise ValueError("latent-class shares must be positive and sum to 1")
    return shifts[rng.choice(len(shares), size=population, p=shares / shares.sum())]


def _check_dependence(
    dependence: Mapping[tuple[int, int], float], k: int
) -> list[tuple[tuple[int, int], float]]:
    for (i, j), ratio in dependence.items():
        if not 0 <= i < j < k:
            raise ValueError(f"dependence ({i}, {j}): give list indices i < j below {k}")
        if not ratio > 0:
            raise ValueError(f"dependence ({i}, {j}): the odds ratio must be positive")
    return sorted(dependence.items())
