"""The between-region variance of MIM's regression and its uncertainty.

With few anchors the regions' variance around the regression, ``tau2``, rests on one or
two residual degrees of freedom: its point estimate is 0 in most data sets even when the
regions do differ. :func:`tau2_draws` draws ``tau2`` from its confidence distribution, the
Q-profile (Viechtbauer 2007), so that a parametric bootstrap of the prediction error
mixes over the values of ``tau2`` the anchors cannot rule out (the confidence-distribution
prediction interval of Nagashima, Noma & Furukawa 2019). Formulas: docs/methods/mim.md.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

__all__ = ["q_profile", "tau2_draws"]

#: The values of tau2 at which Q is evaluated (log scale, 0 first); draws are read off
#: them by interpolation, and a draw beyond the last is the last (a log-scale sd of 100).
GRID = np.concatenate([[0.0], np.logspace(-8, 4, 1200)])


def q_profile(design: np.ndarray, y: np.ndarray, se: np.ndarray, tau2: np.ndarray) -> np.ndarray:
    """The generalised Q statistic of the anchors at each ``tau2`` (Viechtbauer 2007): the
    weighted residual sum of squares ``y' M (M' V M)^-1 M' y``, ``M`` spanning the residual
    space and ``V = diag(se**2 + tau2)``; chi-squared on ``df`` at the true ``tau2``."""
    null = linalg.null_space(design.T)
    r = null.T @ y
    out = np.empty(len(tau2))
    for k, t in enumerate(tau2):
        out[k] = r @ np.linalg.solve(null.T @ (null * (se**2 + t)[:, None]), r)
    return out


def tau2_draws(
    design: np.ndarray, y: np.ndarray, se: np.ndarray, rng: np.random.Generator, b: int
) -> np.ndarray:
    """``b`` draws of tau^2 from its Q-profile (generalised pivotal) distribution: the
    ``tau2`` at which ``Q(tau2)`` equals a fresh chi-squared draw on ``df`` (0 where
    ``Q(0)`` is already below it). With one residual degree of freedom this is exactly
    ``max(0, RSS / chi2_1 - sum_a (1 - h_aa) se_a^2)``."""
    df = design.shape[0] - design.shape[1]
    q = q_profile(design, y, se, GRID)  # decreasing in tau2
    chi = rng.chisquare(df, b)
    return np.interp(-chi, -q, GRID)
