"""Binomial (logit) and Poisson (log) GLMs by iteratively reweighted least squares.

The HIV trend fits two small GLMs per call. They follow statsmodels' ``GLM.fit()`` step
for step (starting values, working response, the stopping rule on the deviance, and the
covariance from the last weighted least-squares step), so the figures are those
statsmodels gave, while the command line is spared importing it (about a second).
``tests/estimation/test_hiv_trend.py`` compares the two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from estimation.distributions import normal_sf

__all__ = ["GLMFit", "fit_binomial_logit", "fit_poisson_log"]

_FLOAT_EPS = np.finfo(float).eps
_MAX_ITER = 100
_TOL = 1e-8  # absolute change of the deviance, as statsmodels


@dataclass(frozen=True)
class GLMFit:
    """Coefficients, their standard errors and Wald p-values, and the fit's deviance."""

    params: np.ndarray
    bse: np.ndarray
    pvalues: np.ndarray
    deviance: float
    df_resid: int
    converged: bool


def _clean(x: np.ndarray) -> np.ndarray:
    return np.clip(x, _FLOAT_EPS, np.inf)


def _binomial_deviance(y, mu, n) -> float:
    ratio = _clean(y / (mu + 1e-20))
    other = _clean((1.0 - y) / (1.0 - mu + 1e-20))
    return float(np.sum(2 * n * (y * np.log(ratio) + (1 - y) * np.log(other))))


def _poisson_deviance(y, mu, n) -> float:
    return float(np.sum(2 * (y * np.log(_clean(y / mu)) - (y - mu))))


def _fit(y, exog, offset, n_trials, logit: bool) -> GLMFit:
    """IRLS as statsmodels' ``GLM._fit_irls`` for the canonical link of either family."""
    deviance = _binomial_deviance if logit else _poisson_deviance
    if logit:
        mu = (y + 0.5) / 2.0
        probability = np.clip(mu, _FLOAT_EPS, 1 - _FLOAT_EPS)
        lin_pred = np.log(probability / (1 - probability))
    else:
        mu = (y + y.mean()) / 2.0
        lin_pred = np.log(_clean(mu))
    history = [math.inf, deviance(y, mu, n_trials)]
    converged = False
    for _ in range(_MAX_ITER):
        if logit:
            probability = np.clip(mu, _FLOAT_EPS, 1 - _FLOAT_EPS)
            weights = n_trials * probability * (1 - probability)
            derivative = 1.0 / (probability * (1 - probability))
        else:
            weights = mu.copy()
            derivative = 1.0 / _clean(mu)
        working = lin_pred + derivative * (y - mu) - offset
        root = np.sqrt(weights)
        params = np.linalg.lstsq(exog * root[:, None], working * root, rcond=-1)[0]
        lin_pred = exog @ params + offset
        mu = 1.0 / (1.0 + np.exp(-lin_pred)) if logit else np.exp(lin_pred)
        history.append(deviance(y, mu, n_trials))
        if abs(history[-1] - history[-2]) <= _TOL:
            converged = True
            break
    # statsmodels refits the last weighted least-squares step with a pseudo-inverse and
    # takes the coefficients and their covariance (scale 1) from it.
    pinv = np.linalg.pinv(exog * root[:, None])
    params = pinv @ (working * root)
    bse = np.sqrt(np.diag(pinv @ pinv.T))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(params / bse)
    pvalues = np.array([2 * normal_sf(v) if math.isfinite(v) else math.nan for v in z])
    return GLMFit(params, bse, pvalues, history[-1], len(y) - exog.shape[1], converged)


def fit_binomial_logit(positive, trials, exog) -> GLMFit:
    """Logistic regression of ``positive`` out of ``trials`` on the columns of ``exog``.

    R's ``glm(cbind(positive, trials - positive) ~ ..., family = binomial)``.
    """
    trials = np.asarray(trials, float)
    y = np.asarray(positive, float) / trials
    return _fit(y, np.asarray(exog, float), np.zeros(len(y)), trials, logit=True)


def fit_poisson_log(counts, exog, offset) -> GLMFit:
    """Poisson log-linear regression of ``counts`` with an ``offset`` (e.g. log exposure)."""
    y = np.asarray(counts, float)
    return _fit(y, np.asarray(exog, float), np.asarray(offset, float), np.ones(len(y)), False)
