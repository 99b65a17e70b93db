"""Confidence intervals for the abundance of a log-linear model.

* Wald: ``N ± z se``.
* Log-normal (as SparseMSE): ``n + exp(b0 ± z se(b0))``, never below ``n``.
* Chao (1987) log-transformed: ``n + f0 / C`` to ``n + f0 C`` with ``f0 = N - n`` and
  ``C = exp(z sqrt(log(1 + se² / f0²)))``, never below ``n``.
* Multinomial profile likelihood (Cormack 1992; Rcapture's ``closedpCI.t``): the Poisson
  model is refitted with the unobserved cell set to ``N - n`` for each candidate ``N``; the
  multinomial profile log-likelihood is ``-(D(N) - 2 c(N)) / 2`` with the correction
  ``c(N) = log(n0^n0 N! / (N^N n0!))`` (Stirling's form for ``N > 100``), and the interval
  holds the ``N`` within ``chi2_1(1 - alpha) / 2`` of its maximum.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from estimation.capture_recapture.glm import fit_poisson_batch
from estimation.intervals import normal_quantile  # one definition, re-exported here

__all__ = ["ProfileInterval", "chao_log_interval", "normal_quantile", "profile_interval"]


def chao_log_interval(n: int, abundance: float, stderr: float, alpha: float) -> tuple[float, float]:
    """Chao's (1987) log-transformed interval; the lower limit is never below ``n``."""
    f0 = abundance - n
    z = normal_quantile(alpha)
    if not np.isfinite(abundance) or not np.isfinite(stderr):
        return float("nan"), float("nan")
    if f0 <= 0:
        return float(n), float(n)
    factor = math.exp(z * math.sqrt(math.log1p(stderr**2 / f0**2)))
    return n + f0 / factor, n + f0 * factor


@dataclass(frozen=True)
class ProfileInterval:
    """Multinomial profile-likelihood interval.

    Attributes
    ----------
    abundance : float
        Multinomial maximum likelihood estimate of ``N`` (slightly below the Poisson one).
    low, high : float
        Limits; ``low`` is ``n`` when the likelihood does not drop enough below the
        maximum, ``high`` is ``inf`` when it does not drop before ``fmax * N``.
    """

    abundance: float
    low: float
    high: float


def _cormack_correction(n0: float, total: float) -> float:
    if total > 100:
        if n0 == 0 or n0 == 1:
            return -total + 0.5 * math.log(2 * math.pi * total)
        return n0 - total - 0.5 * math.log(n0 / total)
    n0_log_n0 = n0 * math.log(n0) if n0 > 0 else 0.0
    return n0_log_n0 + math.lgamma(total + 1) - total * math.log(total) - math.lgamma(n0 + 1)


def _profile_function(
    X: np.ndarray, y: np.ndarray, refit: Callable[[np.ndarray, np.ndarray], float] | None
) -> Callable[[float], float]:
    n = float(y.sum())
    Xa = np.vstack([X, np.eye(1, X.shape[1])])
    mask = np.ones((1, X.shape[1]), dtype=bool)
    state: dict[str, np.ndarray | None] = {"start": None}

    def loglik(N: float) -> float:
        n0 = max(N - n, 0.0)
        ya = np.append(y, n0)
        if refit is not None:
            deviance = refit(Xa, ya)
        else:
            fit = fit_poisson_batch(Xa, ya, mask, start=state["start"])
            if state["start"] is not None and not (
                fit.converged[0] and np.isfinite(fit.deviance[0])
            ):
                fit = fit_poisson_batch(Xa, ya, mask)  # the warm start was too far off
            # a fit with n0 = 0 has b0 at minus infinity: no use as a start
            usable = fit.converged[0] and n0 > 0 and np.isfinite(fit.deviance[0])
            state["start"] = fit.coef[0] if usable else None
            deviance = float(fit.deviance[0])
        return -(deviance - 2 * _cormack_correction(n0, n + n0)) / 2

    return loglik


def profile_interval(
    X: np.ndarray,
    y: np.ndarray,
    abundance: float,
    *,
    alpha: float = 0.05,
    fmax: float = 3.0,
    refit: Callable[[np.ndarray, np.ndarray], float] | None = None,
) -> ProfileInterval:
    """Multinomial profile-likelihood interval for ``N`` (Rcapture's ``closedpCI.t``).

    Parameters
    ----------
    X : ndarray, shape (C, P)
        The model's design over the observed cells (column 0 the intercept).
    y : ndarray, shape (C,)
        Observed counts.
    abundance : float
        The Poisson estimate of ``N``, which bounds the search to ``(n, fmax * N)``.
    alpha : float
        One minus the confidence level.
    refit : callable, optional
        ``refit(X_augmented, y_augmented) -> deviance`` for models that need more than a
        plain fit (Chao's model drops negative eta parameters at every point).

    Notes
    -----
    As Rcapture: the maximum is searched on ``(n, 3 N)``, the lower limit on
    ``(n, N_max)`` (``n`` if there is no root) and the upper one on ``(N_max, fmax N)``.

    References
    ----------
    Cormack, R. M. (1992). Interval estimation for mark-recapture studies of closed
    populations. Biometrics 48, 567-576.
    """
    from scipy.optimize import brentq, minimize_scalar

    y = np.asarray(y, dtype=float)
    n = float(y.sum())
    loglik = _profile_function(np.asarray(X, dtype=float), y, refit)
    upper = 3 * abundance
    best = minimize_scalar(
        lambda N: -loglik(N), bounds=(n, upper), method="bounded", options={"xatol": 1e-6}
    )
    n_max, l_max = float(best.x), -float(best.fun)
    target = l_max - normal_quantile(alpha) ** 2 / 2  # chi2_1(1 - alpha) = z**2

    def gap(N: float) -> float:
        return loglik(N) - target

    low = n
    if gap(n) < 0:
        low = brentq(gap, n, n_max, xtol=1e-7)
    high = float("inf")
    end = fmax * abundance
    if end > n_max and gap(end) < 0:
        high = brentq(gap, n_max, end, xtol=1e-7)
    return ProfileInterval(abundance=n_max, low=float(low), high=float(high))
