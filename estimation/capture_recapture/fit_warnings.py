"""Rcapture's warnings on a model fit (``infoFit`` of ``closedpMS.t`` and ``closedp.t``).

Rcapture (``getInfo`` in ``R/internal.DRY.R``, version 1.4) classes the conditions met while
fitting a model by a code, and prints them as "warning #1", "warnings #1 #2"...:

* **1**: ``glm`` did not converge (R's default of 25 iterations), or the asymptotic bias of
  ``N`` exceeds 10% of ``N`` (``getBiasWarn``);
* **2**: the design matrix is not of full rank (``glm`` aliased a coefficient);
* **3**: any other ``glm`` warning; for a Poisson fit this is "fitted rates numerically 0
  occurred" (a fitted mean below ``10 * .Machine$double.eps``).

This library raises the same conditions on the same fits (same starting values and
convergence rule as R's ``glm``). It checks one more thing, kept apart as the fit's
``status`` rather than mixed into Rcapture's codes: the linear programme of
:mod:`~estimation.capture_recapture.identifiability` proves when the maximum likelihood
estimate does not exist (zero cells send a parameter to infinity). R often stays silent
then (``glm`` converges with fitted rates near, but above, its threshold); such a model has
status ``"no_mle"`` and is never the best model of a search, warnings or not.

The asymptotic bias (Rcapture's ``closedp.fitone``): with ``V`` the inverse information,
``h_c = x_c' V x_c`` and ``mu`` the fitted means,

.. math:: \\text{bias} = -\\tfrac12 e^{b_0}
          \\Big(\\sum_c (V x_c)_0\\, \\mu_c h_c - V_{00}\\Big).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

__all__ = [
    "FitWarning",
    "R_GLM_MAXIT",
    "batch_asymptotic_bias",
    "info_fit",
    "rcapture_warnings",
]

#: R's ``glm.control()$maxit``: Rcapture fits every model with R's defaults.
R_GLM_MAXIT = 25
#: R's ``glm.fit`` warns "fitted rates numerically 0 occurred" below this fitted mean.
R_ZERO_RATE = 10 * np.finfo(float).eps

NOT_CONVERGED = "glm: algorithm did not converge"
BIAS_LARGE = "the asymptotic bias is large"
NOT_FULL_RANK = "glm: design matrix not of full rank"
ZERO_RATES = "glm: fitted rates numerically 0 occurred"


@dataclass(frozen=True)
class FitWarning:
    """One condition met while fitting a model.

    Attributes
    ----------
    code : int
        Rcapture's code: 1 convergence or large bias, 2 rank, 3 other.
    message : str
        Rcapture's message.
    """

    code: int
    message: str

    def to_dict(self) -> dict[str, object]:
        """Plain dictionary for JSON."""
        return {"code": self.code, "message": self.message}


def rcapture_warnings(
    *,
    iterations: int,
    converged: bool,
    singular: bool,
    bias: float,
    abundance: float,
    min_fitted: float,
) -> tuple[FitWarning, ...]:
    """The warnings Rcapture attaches to a fit with these properties, in its order."""
    found = []
    if not converged or iterations > R_GLM_MAXIT:
        found.append(FitWarning(1, NOT_CONVERGED))
    if min_fitted < R_ZERO_RATE:
        found.append(FitWarning(3, ZERO_RATES))
    if singular:
        found.append(FitWarning(2, NOT_FULL_RANK))
    if np.isfinite(bias) and abs(bias) > 0.1 * abundance:
        found.append(FitWarning(1, BIAS_LARGE))
    return tuple(found)


def info_fit(warnings: tuple[FitWarning, ...]) -> int:
    """Rcapture's ``infoFit``: the distinct codes in increasing order as one number (0: none).

    Examples
    --------
    >>> info_fit((FitWarning(3, ZERO_RATES), FitWarning(1, BIAS_LARGE)))
    13
    """
    codes = sorted({w.code for w in warnings})
    return int("".join(map(str, codes))) if codes else 0


def batch_asymptotic_bias(
    X: np.ndarray,
    masks: np.ndarray,
    coef: np.ndarray,
    information: np.ndarray,
    singular: np.ndarray,
) -> np.ndarray:
    """Rcapture's asymptotic bias of ``N`` for a batch of fits of column masks of ``X``.

    ``information`` holds each model's Fisher information over all columns; the columns a
    model does not use are replaced by the identity, which leaves the inverse of the used
    block unchanged. Singular fits get ``nan`` (R computes no bias for them).
    """
    B, P = masks.shape
    H = np.array(information, dtype=float)
    unused = ~masks
    H[unused[:, :, None] | unused[:, None, :]] = 0.0
    idx = np.arange(P)
    H[:, idx, idx] = np.where(unused, 1.0, H[:, idx, idx])
    bad = singular | ~np.all(np.isfinite(H), axis=(1, 2))
    H[bad] = np.eye(P)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        V = _inverse(H)
        bad |= ~np.all(np.isfinite(V), axis=(1, 2))
        V[unused[:, :, None] | unused[:, None, :]] = 0.0
        eta = np.clip(coef @ X.T, -40.0, 700.0)
        mu = np.exp(eta)
        # two large matrix products rather than one small one per model
        products = (X[:, :, None] * X[:, None, :]).reshape(X.shape[0], P * P)
        h = V.reshape(B, P * P) @ products.T  # h[b, c] = x_c' V_b x_c
        first = V[:, :, 0] @ X.T  # (V_b x_c)_0, V symmetric
        bias = -0.5 * np.exp(coef[:, 0]) * (np.sum(first * mu * h, axis=1) - V[:, 0, 0])
    bias[bad] = np.nan
    return bias


def _inverse(H: np.ndarray) -> np.ndarray:
    """Inverse of each matrix; ``nan`` where one is singular."""
    try:
        return np.linalg.inv(H)
    except np.linalg.LinAlgError:
        V = np.full_like(H, np.nan)
        for i, matrix in enumerate(H):
            with contextlib.suppress(np.linalg.LinAlgError):
                V[i] = np.linalg.inv(matrix)
        return V
