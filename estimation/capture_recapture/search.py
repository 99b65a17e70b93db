"""Search over log-linear models and model averaging (Rcapture's ``closedpMS.t``).

The candidates (:mod:`~estimation.capture_recapture.candidates`: 113 hierarchical models
for 4 lists, 6,893 for 5, 32,768 pairwise models for 6) are fitted in vectorised batches:
every model is a column mask of one full design on the same ``2**k - 1`` cells.

Model averaging over a search is in :mod:`estimation.capture_recapture.averaging`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

import numpy as np

from estimation.capture_recapture.candidates import (
    SearchDesign,
    check_order,
    enumerate_models,
    search_design,
)
from estimation.capture_recapture.fit_warnings import batch_asymptotic_bias, rcapture_warnings
from estimation.capture_recapture.glm import BatchFit, fit_poisson_batch
from estimation.capture_recapture.histories import CaptureHistories
from estimation.capture_recapture.identifiability import ZERO_CELL_SUSPECT, mle_exists_many
from estimation.capture_recapture.results import LoglinearResult, ModelTable

__all__ = ["enumerate_models", "search_models"]

MAX_MODELS = 100_000
CHUNK_ELEMENTS = 4_000_000  # models x parameters^2 per batch: bounds memory (~32 MB arrays)


def _chunks(total: int, size: int) -> Iterator[slice]:
    for start in range(0, total, size):
        yield slice(start, min(start + size, total))


def fit_masks(
    X: np.ndarray,
    Y: np.ndarray,
    masks: np.ndarray,
    *,
    start: np.ndarray | None = None,
    maxit: int = 100,
    abandon_below: float | None = None,
    with_bias: bool = False,
) -> BatchFit:
    """Fit many column masks of ``X`` in memory-bounded chunks (``Y`` shared or per mask);
    ``with_bias`` also computes Rcapture's asymptotic bias of each fit."""
    P = X.shape[1]
    size = max(1, CHUNK_ELEMENTS // (P * P))
    Y = np.asarray(Y, dtype=float)
    parts = []
    for part in _chunks(len(masks), size):
        y_part = Y if Y.ndim == 1 else Y[part]
        start_part = None if start is None else start[part]
        fit = fit_poisson_batch(
            X,
            y_part,
            masks[part],
            start=start_part,
            maxit=maxit,
            abandon_below=abandon_below,
            keep_information=with_bias,
        )
        if with_bias:
            bias = batch_asymptotic_bias(X, masks[part], fit.coef, fit.information, fit.singular)
            fit = dataclasses.replace(fit, bias=bias, information=None)
        parts.append(fit)
    extra = {
        name: np.concatenate([getattr(p, name) for p in parts])
        for name in _EXTRA_ARRAYS
        if all(getattr(p, name) is not None for p in parts)
    }
    return BatchFit(
        coef=np.concatenate([p.coef for p in parts]),
        var_intercept=np.concatenate([p.var_intercept for p in parts]),
        deviance=np.concatenate([p.deviance for p in parts]),
        loglik=np.concatenate([p.loglik for p in parts]),
        converged=np.concatenate([p.converged for p in parts]),
        singular=np.concatenate([p.singular for p in parts]),
        min_fitted_zero=np.concatenate([p.min_fitted_zero for p in parts]),
        iterations=max(p.iterations for p in parts),
        **extra,
    )


_MESSAGES = {
    "ok": ("ok", ""),
    "boundary": ("boundary", "heterogeneity parameter tau is negative (boundary)"),
    "eta_dropped": ("boundary", "negative heterogeneity parameter(s) eta set to 0 (boundary)"),
    "no_mle": ("no_mle", "the abundance estimate is not finite"),
    "not_converged": ("not_converged", "the Poisson fit did not converge"),
    "no_mle_zero_cells": (
        "no_mle",
        "the maximum likelihood estimate does not exist (zero cells send parameters to "
        "infinity; the figures shown are those of the extended MLE)",
    ),
    "not_identifiable": ("not_identifiable", "design not of full rank"),
}


def results_from_batch(
    histories: CaptureHistories,
    design: SearchDesign,
    fit: BatchFit,
    dropped: np.ndarray | None = None,
) -> list[LoglinearResult]:
    """Turn batched fits into :class:`LoglinearResult` objects with their fit status."""
    n = histories.observed
    y = histories.counts.astype(float)
    rank = design.masks.sum(axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        f0 = np.exp(fit.coef[:, 0])
        abundance = n + f0
        stderr = np.sqrt(f0 + f0**2 * fit.var_intercept)
    aic = -2 * fit.loglik + 2 * rank
    bic = -2 * fit.loglik + math.log(n) * rank
    with np.errstate(invalid="ignore"):
        tau_negative = (
            fit.coef[:, design.tau_column] < 0
            if design.tau_column is not None
            else np.zeros(len(rank), dtype=bool)
        )
    # statuses in order of precedence; the linear programme only runs for suspects
    status = np.full(len(rank), "ok", dtype=object)
    status[tau_negative] = "boundary"
    if dropped is not None:
        status[dropped] = "eta_dropped"
    status[~(np.isfinite(abundance) & np.isfinite(stderr))] = "no_mle"
    status[~fit.converged] = "not_converged"
    # an unconverged fit may not have approached the boundary yet: check it too
    suspects = ((fit.min_fitted_zero < ZERO_CELL_SUSPECT) | ~fit.converged) & ~fit.singular
    eta = np.full((len(rank), len(y)), np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        eta[suspects] = fit.coef[suspects] @ design.X.T  # excluded columns have coef 0
    exists = mle_exists_many(design.X, design.masks, y, suspects=suspects, eta=eta)
    exists |= fit.singular
    status[~exists] = "no_mle_zero_cells"
    status[fit.singular] = "not_identifiable"
    nan = np.full(len(rank), np.nan)
    bias = nan if fit.bias is None else fit.bias
    iterations = np.zeros(len(rank), int) if fit.iterations_each is None else fit.iterations_each
    min_fitted = nan if fit.min_fitted is None else fit.min_fitted
    warnings = [
        rcapture_warnings(
            iterations=int(iterations[i]),
            converged=bool(fit.converged[i]),
            singular=bool(fit.singular[i]),
            bias=float(bias[i]),
            abundance=float(abundance[i]),
            min_fitted=float(min_fitted[i]),
        )
        for i in range(len(rank))
    ]
    results = []
    columns = zip(
        design.names,
        status.tolist(),
        abundance.tolist(),
        stderr.tolist(),
        fit.deviance.tolist(),
        (len(y) - rank).tolist(),
        aic.tolist(),
        bic.tolist(),
        fit.var_intercept.tolist(),
        bias.tolist(),
        warnings,
        strict=True,
    )
    for name, state, value, error, deviance, df, a, b, var0, bias_i, flags in columns:
        state, message = _MESSAGES[state]
        results.append(
            LoglinearResult(
                name=name,
                lists=histories.lists,
                observed=n,
                abundance=value,
                stderr=error,
                deviance=deviance,
                df=df,
                aic=a,
                bic=b,
                status=state,
                message=message,
                var_intercept=var0,
                bias=bias_i,
                warnings=flags,
            )
        )
    return results


def _drop_negative_eta(
    design: SearchDesign, fit: BatchFit, counts: np.ndarray
) -> tuple[SearchDesign, BatchFit, np.ndarray]:
    """Rcapture's ``Chao.neg`` for a whole search: refit the models whose first negative
    ``eta`` is removed, until none is negative. Returns the updated design (masks), fits
    and which models lost a column."""
    dropped = np.zeros(len(design.masks), dtype=bool)
    if not design.chao_columns:
        return design, fit, dropped
    chao = np.array(design.chao_columns)
    masks = design.masks.copy()
    names = _BATCH_ARRAYS + tuple(n for n in _EXTRA_ARRAYS if getattr(fit, n) is not None)
    arrays = {name: np.array(getattr(fit, name)) for name in names}
    for _ in range(len(chao)):
        with np.errstate(invalid="ignore"):
            negative = (arrays["coef"][:, chao] < 0) & masks[:, chao]
        rows = np.flatnonzero(negative.any(axis=1))
        if rows.size == 0:
            break
        masks[rows, chao[np.argmax(negative[rows], axis=1)]] = False
        dropped[rows] = True
        refit = fit_masks(design.X, counts, masks[rows], with_bias=fit.bias is not None)
        for name in names:
            arrays[name][rows] = getattr(refit, name)
    new_design = SearchDesign(
        X=design.X,
        masks=masks,
        names=design.names,
        tau_column=design.tau_column,
        chao_columns=design.chao_columns,
    )
    return new_design, BatchFit(**arrays, iterations=fit.iterations), dropped


_BATCH_ARRAYS = (
    "coef",
    "var_intercept",
    "deviance",
    "loglik",
    "converged",
    "singular",
    "min_fitted_zero",
)
_EXTRA_ARRAYS = ("iterations_each", "min_fitted", "bias")


def rank_results(results: list[LoglinearResult], criterion: str) -> list[LoglinearResult]:
    """Sort by AIC or BIC (non-finite values last), as ``closedpMS.t`` prints them."""
    if criterion not in ("aic", "bic"):
        raise ValueError(f"criterion must be 'aic' or 'bic', got {criterion!r}")

    def key(r: LoglinearResult) -> float:
        value = getattr(r, criterion)
        return value if math.isfinite(value) else math.inf

    return sorted(results, key=key)


def search_models(
    histories: CaptureHistories,
    *,
    criterion: str = "bic",
    max_order: int | None = None,
    heterogeneity: str | None = None,
    theta: float | None = None,
) -> ModelTable:
    """Fit every hierarchical model and rank them by AIC or BIC (``closedpMS.t``).

    Parameters
    ----------
    histories : CaptureHistories
    criterion : {"bic", "aic"}
    max_order : int, optional
        Highest interaction order (default ``k - 1`` up to 5 lists, 2 for 6 lists).
    heterogeneity : {None, "Chao", "LB", "Poisson", "Darroch", "Gamma"}
        Heterogeneity column(s) added to every model; negative Chao ``eta`` are set to 0
        model by model, as Rcapture does.
    theta : float, optional

    Returns
    -------
    ModelTable
        Ranked results; :meth:`ModelTable.best` is the best model with a sound fit.

    Examples
    --------
    >>> from estimation.capture_recapture.datasets import rome_hiv
    >>> [r.name for r in search_models(rome_hiv()).results[:3]]
    ['[1,2,3,4]', '[12,3,4]', '[13,2,4]']
    """
    max_order = check_order(histories.n_lists, max_order)
    models = enumerate_models(histories.n_lists, max_order)
    if len(models) > MAX_MODELS:
        raise ValueError(f"{len(models)} models is too many; lower max_order")
    design = search_design(histories, models, max_order, heterogeneity, theta)
    fit = fit_masks(design.X, histories.counts, design.masks, with_bias=True)
    design, fit, dropped = _drop_negative_eta(design, fit, histories.counts)
    results = results_from_batch(histories, design, fit, dropped)
    results = rank_results(results, criterion)
    return ModelTable(
        lists=histories.lists,
        observed=histories.observed,
        results=tuple(results),
        criterion=criterion,
    )
