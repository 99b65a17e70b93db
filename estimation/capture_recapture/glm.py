"""Poisson log-linear fits by iteratively reweighted least squares, one or many at once.

Every capture-recapture model here is a Poisson GLM on the same ``2**k - 1`` cells: only
the columns of the design change. :func:`fit_poisson_batch` therefore fits a whole batch
of models (a boolean mask of columns of one full design each, possibly with their own
response vectors) with vectorised Newton steps: the weighted cross-products of all models
come from one matrix product ``W @ Z`` where ``Z`` holds the distinct column products of
the design. The columns of a hierarchical design are products of 0/1 list indicators, so
the product of two columns is the column of the union of their terms: of the ``P**2``
products only ``2**k`` (at most the number of cells, plus one) are distinct.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from estimation.capture_recapture.linear_solve import ColumnGroups, solve_batch

__all__ = [
    "BatchFit",
    "PoissonFit",
    "column_products",
    "fit_poisson",
    "fit_poisson_batch",
    "independent_columns",
]

# Linear predictors are kept in this range: below it a fitted count is zero for every
# practical purpose (the MLE is on the boundary, which is flagged by the caller).
ETA_MIN, ETA_MAX = -40.0, 700.0


@dataclass(frozen=True)
class BatchFit:
    """Fits of many Poisson models sharing one design.

    Attributes
    ----------
    coef : ndarray, shape (B, P)
        Coefficients; excluded columns are 0.
    var_intercept : ndarray, shape (B,)
        Variance of the intercept (the inverse Fisher information, first diagonal term).
    deviance, loglik : ndarray, shape (B,)
        Poisson deviance and log-likelihood (with the ``log y!`` terms, as R's ``glm``).
    converged : ndarray of bool, shape (B,)
        Whether the relative change of deviance fell below the tolerance.
    singular : ndarray of bool, shape (B,)
        Whether the information matrix was singular (parameters not identifiable).
    min_fitted_zero : ndarray, shape (B,)
        Smallest fitted value over cells observed as zero (``inf`` if there are none): a
        value near zero signals a maximum likelihood estimate on the boundary.
    iterations : int
        Number of Newton iterations of the slowest model.
    iterations_each : ndarray of int, shape (B,), optional
        Newton iterations of each model (R's ``glm`` stops at 25: Rcapture's warning #1).
    min_fitted : ndarray, shape (B,), optional
        Smallest fitted mean over all cells (R warns below ``10 * .Machine$double.eps``).
    bias : ndarray, shape (B,), optional
        Rcapture's asymptotic bias of ``N`` (set by the search, ``nan`` if singular).
    information : ndarray, shape (B, P, P), optional
        Fisher information of the last iteration (only with ``keep_information=True``).
    """

    coef: np.ndarray
    var_intercept: np.ndarray
    deviance: np.ndarray
    loglik: np.ndarray
    converged: np.ndarray
    singular: np.ndarray
    min_fitted_zero: np.ndarray
    iterations: int
    information: np.ndarray | None = None
    iterations_each: np.ndarray | None = None
    min_fitted: np.ndarray | None = None
    bias: np.ndarray | None = None


def xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x * log(y)``, 0 where ``x == 0`` (as ``scipy.special.xlogy``, without importing
    scipy at start-up)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(y))


def log_factorial(counts: np.ndarray) -> np.ndarray:
    """``log(y!)`` (``gammaln(y + 1)``), one ``math.lgamma`` per distinct count."""
    counts = np.asarray(counts, dtype=float)
    values, index = np.unique(counts, return_inverse=True)
    logs = np.array([math.lgamma(v + 1.0) for v in values.tolist()])
    return logs[index].reshape(counts.shape)


def column_products(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct products of pairs of columns of ``X`` and where each pair's is.

    Returns ``(Z, index)``: ``Z[:, index[i * P + j]]`` equals ``X[:, i] * X[:, j]``, so a
    weighted cross-product ``X' W X`` is ``(w @ Z)[index]`` reshaped to ``(P, P)``.
    """
    P = X.shape[1]
    products = (X[:, :, None] * X[:, None, :]).reshape(X.shape[0], P * P)
    distinct, index = np.unique(products, axis=1, return_inverse=True)
    return distinct, index.reshape(P * P)


def _deviance(y: np.ndarray, mu: np.ndarray, y_log_y: np.ndarray) -> np.ndarray:
    return 2.0 * (y_log_y - np.sum(xlogy(y, mu) - mu + y, axis=-1))


def fit_poisson_batch(
    X: np.ndarray,
    Y: np.ndarray,
    masks: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    start: np.ndarray | None = None,
    maxit: int = 100,
    tol: float = 1e-8,
    keep_information: bool = False,
    abandon_below: float | None = None,
) -> BatchFit:
    """Fit ``B`` Poisson log-linear models, each using a subset of the columns of ``X``.

    Parameters
    ----------
    X : ndarray, shape (C, P)
        Full design over the ``C`` cells; column 0 is the intercept.
    Y : ndarray, shape (C,) or (B, C)
        Cell counts, shared by all models or one vector per model.
    masks : ndarray of bool, shape (B, P)
        Columns used by each model.
    offset : ndarray, shape (C,), optional
        Known part of the linear predictor.
    start : ndarray, shape (B, P) or (P,), optional
        Starting coefficients (warm start); rows with a non-finite value, and all models
        by default, start from ``mu = y + 0.1`` as R's ``glm`` does.
    maxit, tol
        Iteration limit and tolerance on ``|dev - dev_old| / (|dev| + 0.1)`` (R's rule).
    keep_information : bool
        Also return the information matrices.
    abandon_below : float, optional
        Stop iterating (unconverged) a model whose fitted mean of a zero cell falls below
        this after 5 iterations: its MLE does not exist; only for callers that discard
        such fits (the bootstrap).

    Returns
    -------
    BatchFit

    Notes
    -----
    Each iteration is the IRLS (Fisher scoring = Newton, canonical link) step
    ``beta = (X' W X)^{-1} X' W z`` with ``W = diag(mu)`` and ``z = eta + (y - mu) / mu``,
    computed for all models at once from ``W @ Z`` (``Z`` the products of pairs of design
    columns); each model's system keeps only its own columns (the others stay 0) and
    models of equal size are solved together. Iteration starts from ``mu = y + 0.1``, as
    R's ``glm``, and stops on R's relative-deviance rule. As in R's
    ``glm.fit``, the covariance comes from the weights of the last iteration (those the
    final coefficients were computed with): this reproduces Rcapture's printed figures.
    """
    X = np.asarray(X, dtype=float)
    masks = np.asarray(masks, dtype=bool)
    B, P = masks.shape
    C = X.shape[0]
    shared_start = np.ndim(Y) == 1 and start is None
    Y = np.broadcast_to(np.asarray(Y, dtype=float), (B, C))
    off = np.zeros(C) if offset is None else np.asarray(offset, dtype=float)
    Z, product_index = column_products(X)
    fm = masks.astype(float)
    every_column = bool(masks.all())
    groups = None if every_column else ColumnGroups(masks, product_index)
    y_log_y = xlogy(Y, Y).sum(axis=-1)
    unit = np.zeros((B, P))
    unit[:, 0] = 1.0

    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        mu = Y + 0.1
        eta = np.log(mu) - off
        if start is not None:
            beta0 = np.broadcast_to(np.asarray(start, dtype=float), (B, P))
            warm = np.all(np.isfinite(beta0), axis=1)
            eta[warm] = (beta0[warm] * fm[warm]) @ X.T
            mu[warm] = np.exp(np.clip(eta[warm] + off, ETA_MIN, ETA_MAX))
        coef = np.zeros((B, P))
        var0 = np.full(B, np.nan)
        dev_old = np.full(B, np.inf)
        converged = np.zeros(B, dtype=bool)
        singular = np.zeros(B, dtype=bool)
        H_last = np.empty((B, Z.shape[1])) if keep_information else None
        active = np.arange(B)
        iterations = 0
        iterations_each = np.zeros(B, dtype=np.int64)
        while active.size and iterations < maxit:
            iterations += 1
            iterations_each[active] += 1
            every = active.size == B
            w = mu if every else mu[active]
            z = (eta if every else eta[active]) + ((Y if every else Y[active]) - w) / w
            if iterations == 1 and shared_start:
                # every model starts from the same mu = y + 0.1: one product serves all
                H = np.broadcast_to(w[:1] @ Z, (len(active), Z.shape[1]))
                rhs = np.broadcast_to((w[:1] * z[:1]) @ X, (len(active), P))
            else:
                H = w @ Z
                rhs = (w * z) @ X
            # solving for the unit vector too gives Var(b0) from this iteration's weights
            both = np.stack([rhs, unit[: len(active)]], axis=-1)
            if groups is None:
                solution, sing = solve_batch(H[:, product_index].reshape(-1, P, P), both)
            else:
                solution, sing = groups.solve(H, both, active, B)
            if H_last is not None:
                H_last[active] = H
            # while every model is active, plain slices avoid copies by fancy indexing
            rows = slice(None) if every else active
            singular[rows] |= sing
            beta = solution[..., 0]
            var0[rows] = solution[:, 0, 1]
            coef[rows] = beta
            eta_a = beta @ X.T
            mu_a = np.exp(np.clip(eta_a + off, ETA_MIN, ETA_MAX))
            eta[rows] = eta_a
            mu[rows] = mu_a
            y_a = Y if every else Y[active]
            dev = _deviance(y_a, mu_a, y_log_y[rows])
            done = np.abs(dev - dev_old[rows]) / (np.abs(dev) + 0.1) < tol
            dev_old[rows] = dev
            converged[active[done]] = True
            if abandon_below is not None and iterations >= 5:
                # a zero cell heading to 0: the MLE is on the boundary, stop early
                heading = np.where(y_a == 0, mu_a, np.inf).min(axis=1) < abandon_below
                done |= heading
            active = active[~done]

        deviance = _deviance(Y, mu, y_log_y)
        loglik = np.sum(xlogy(Y, mu) - mu - log_factorial(Y), axis=-1)
        zero = Y == 0
        min_zero = np.where(zero, mu, np.inf).min(axis=1)
        min_fitted = mu.min(axis=1)
    return BatchFit(
        coef=coef,
        var_intercept=var0,
        deviance=deviance,
        loglik=loglik,
        converged=converged,
        singular=singular,
        min_fitted_zero=min_zero,
        iterations=iterations,
        information=None if H_last is None else H_last[:, product_index].reshape(B, P, P),
        iterations_each=iterations_each,
        min_fitted=min_fitted,
    )


def independent_columns(X: np.ndarray, *, tol: float = 1e-9) -> np.ndarray:
    """Return a mask keeping each column that is not a combination of earlier ones.

    This is how R's ``glm`` reports aliased coefficients (``NA``): the later of two
    collinear columns is dropped.
    """
    keep = np.zeros(X.shape[1], dtype=bool)
    for j in range(X.shape[1]):
        trial = keep.copy()
        trial[j] = True
        sub = X[:, trial]
        s = np.linalg.svd(sub, compute_uv=False)
        if s.size and s[-1] > tol * max(s[0], 1.0):
            keep[j] = True
    return keep


@dataclass(frozen=True)
class PoissonFit:
    """One Poisson log-linear fit (the subset of R's ``glm`` output used here).

    Attributes
    ----------
    coef : ndarray
        Coefficients, ``nan`` for aliased columns.
    cov : ndarray
        Inverse Fisher information of the non-aliased coefficients.
    fitted : ndarray
        Fitted cell means.
    deviance, loglik : float
        Poisson deviance and log-likelihood.
    rank : int
        Number of estimated coefficients.
    converged, singular : bool
    iterations : int
        Newton iterations used.
    aliased : ndarray of bool
        Columns dropped as linear combinations of earlier ones.
    """

    coef: np.ndarray
    cov: np.ndarray
    fitted: np.ndarray
    deviance: float
    loglik: float
    rank: int
    converged: bool
    singular: bool
    aliased: np.ndarray
    min_fitted_zero: float
    iterations: int = 0


def fit_poisson(
    X: np.ndarray,
    y: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    start: np.ndarray | None = None,
    maxit: int = 100,
    tol: float = 1e-8,
) -> PoissonFit:
    """Fit one Poisson log-linear model, dropping aliased columns as R's ``glm`` does."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = independent_columns(X)
    Xk = X[:, keep]
    start_k = None if start is None else np.asarray(start)[keep]
    batch = fit_poisson_batch(
        Xk,
        y,
        np.ones((1, Xk.shape[1]), dtype=bool),
        offset=offset,
        start=start_k,
        maxit=maxit,
        tol=tol,
        keep_information=True,
    )
    beta = batch.coef[0]
    off = np.zeros(len(y)) if offset is None else offset
    with np.errstate(over="ignore", under="ignore"):
        fitted = np.exp(np.clip(Xk @ beta + off, ETA_MIN, ETA_MAX))
    info = batch.information[0]
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(info)
    coef = np.full(X.shape[1], np.nan)
    coef[keep] = beta
    return PoissonFit(
        coef=coef,
        cov=cov,
        fitted=fitted,
        deviance=float(batch.deviance[0]),
        loglik=float(batch.loglik[0]),
        rank=int(keep.sum()),
        converged=bool(batch.converged[0]),
        singular=bool(batch.singular[0]),
        aliased=~keep,
        min_fitted_zero=float(batch.min_fitted_zero[0]),
        iterations=int(batch.iterations_each[0]),
    )
