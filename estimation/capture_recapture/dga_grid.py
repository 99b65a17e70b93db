"""The grid of numbers missing on which dga evaluates its posterior.

By default the grid runs from 0 to ``UPPER_FACTOR`` times the number observed, as dga's
users are advised to choose it. A coarse pass (1,001 evenly spaced points and 301 points
spaced geometrically from 1, so that a posterior near 0 is seen) finds where the mass lies;
the posterior is then evaluated on every integer over the bulk (where the density is at least
``BULK_DENSITY`` of its peak, extended to the reported quantiles), and on the coarse points
beyond it, each standing for the numbers around it. An explicit grid is used as given,
each value standing for itself (dga's ``bma.cr``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import logsumexp

__all__ = ["check_grid", "choose_grid", "edge_mass"]

UPPER_FACTOR = 30  # default grid: 0 ... 30 x observed
BULK_DENSITY = 1e-3  # integers where the density is at least this share of its peak
MAX_POINTS = 20_000  # fine grid points (a coarser step when the bulk spans more integers)
EDGE_SHARE = 0.05  # the top 5% of the grid's span ...
EDGE_MASS = 1e-3  # ... may hold at most this posterior probability without a warning


def choose_grid(
    log_posterior: Callable[[np.ndarray], np.ndarray],
    observed: int,
    n_missing: Sequence[float] | None,
    *,
    upper_factor: float = UPPER_FACTOR,
    max_points: int = MAX_POINTS,
    alpha: float = 0.05,
) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float]]:
    """The grid, the count of numbers missing each point stands for, and the integer part's
    ``(lower, upper, step)``; ``log_posterior`` evaluates the posterior on a coarse grid."""
    if n_missing is not None:
        grid = check_grid(n_missing)
        step = float(np.min(np.diff(grid))) if grid.size > 1 else 1.0
        return grid, np.ones(grid.size), (float(grid[0]), float(grid[-1]), step)
    if not upper_factor > 0:
        raise ValueError("upper_factor must be positive")
    if int(max_points) < 2:
        raise ValueError("max_points must be at least 2")
    upper = max(1, int(np.ceil(upper_factor * observed)))
    coarse = np.unique(
        np.round(np.concatenate([np.linspace(0, upper, 1001), np.geomspace(1, upper, 301)]))
    )
    grid, fine = _refined_grid(coarse, log_posterior(coarse), int(max_points), alpha)
    return grid, widths(grid), fine


def widths(points: np.ndarray) -> np.ndarray:
    """The span of numbers each point of an uneven grid stands for."""
    if points.size == 1:
        return np.ones(1)
    return np.maximum(np.gradient(points), 1.0)


def edge_mass(grid: np.ndarray, log_mass: np.ndarray) -> float:
    """Posterior probability in the top ``EDGE_SHARE`` of the grid's span."""
    if grid.size == 1:
        return 1.0
    mass = np.exp(log_mass - logsumexp(log_mass))
    cut = grid[-1] - EDGE_SHARE * (grid[-1] - grid[0])
    return float(mass[grid > cut].sum())


def _refined_grid(
    coarse: np.ndarray, log_post: np.ndarray, max_points: int, alpha: float
) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Every integer (or every s-th) over the bulk of the coarse posterior, the coarse points
    beyond it; and the fine part's ``(lower, upper, step)``.

    The bulk is where the density is at least ``BULK_DENSITY`` of its peak, extended to the
    ``alpha/2`` and ``1 - alpha/2`` quantiles and widened by one coarse point each side, so
    the reported figures fall on integers; a smooth tail is summed well enough by the coarse
    points, each standing for the numbers around it.
    """
    cumulative = np.cumsum(np.exp(log_post - logsumexp(log_post)) * widths(coarse))
    cumulative /= cumulative[-1]
    bulk = np.nonzero(log_post >= log_post.max() + np.log(BULK_DENSITY))[0]
    first = min(bulk[0], int(np.searchsorted(cumulative, alpha / 2)))
    last = max(bulk[-1], int(np.searchsorted(cumulative, 1 - alpha / 2)))
    low = coarse[max(first - 1, 0)]
    high = coarse[min(last + 1, coarse.size - 1)]
    step = max(1, int(np.ceil((high - low + 1) / max_points)))
    fine = np.arange(low, high + 1, step, dtype=float)
    outside = coarse[(coarse < low) | (coarse > fine[-1])]
    return np.union1d(fine, outside), (float(low), float(fine[-1]), float(step))


def check_grid(n_missing: Sequence[float]) -> np.ndarray:
    grid = np.asarray(n_missing, dtype=float)
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError("n_missing must be a non-empty 1-d grid of numbers missing")
    if not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ValueError("n_missing must be finite and non-negative")
    if np.any(np.diff(grid) <= 0):
        raise ValueError("n_missing must be strictly increasing")
    return grid
