"""Chao's lower-bound models with negative ``eta`` set to zero (Rcapture's ``Chao.neg``).

Shared by the model fits (:mod:`~estimation.capture_recapture.models`) and the profile
likelihood of their results (:mod:`~estimation.capture_recapture.results`), which therefore
need not import each other.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from estimation.capture_recapture.glm import PoissonFit, fit_poisson

__all__ = ["chao_deviance", "fit_with_chao"]


def fit_with_chao(
    X: np.ndarray, y: np.ndarray, chao: Sequence[int]
) -> tuple[PoissonFit, np.ndarray]:
    """Fit, then drop negative Chao ``eta`` columns one at a time (first one first), as
    Rcapture's ``Chao.neg``; return the fit and the mask of kept columns."""
    keep = np.ones(X.shape[1], dtype=bool)
    fit = fit_poisson(X, y)
    while True:
        negative = [j for j in chao if keep[j] and _coef(fit, keep, j) < 0]
        if not negative:
            return fit, keep
        keep[negative[0]] = False
        fit = fit_poisson(X[:, keep], y)


def _coef(fit: PoissonFit, keep: np.ndarray, column: int) -> float:
    value = fit.coef[int(np.sum(keep[:column]))]
    return float(value) if np.isfinite(value) else 0.0


def chao_deviance(X: np.ndarray, y: np.ndarray, chao: Sequence[int]) -> float:
    """Deviance of a Chao model after dropping negative ``eta`` (profile likelihood)."""
    return fit_with_chao(X, y, chao)[0].deviance
