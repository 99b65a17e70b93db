"""Search over log-linear models and model averaging (Rcapture's ``closedpMS.t``).

All hierarchical models containing every main effect and no interaction above
``max_order`` are enumerated (113 for 4 lists, 6,893 for 5; with ``max_order=2`` the
``2**(k(k-1)/2)`` pairwise models, 32,768 for 6 lists) and fitted in vectorised batches:
every model is a column mask of one full design on the same ``2**k - 1`` cells.

Model averaging over a search is in :mod:`estimation.capture_recapture.averaging`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from estimation.capture_recapture.design import (
    Term,
    heterogeneity_columns,
    heterogeneity_label,
    normalise_heterogeneity,
    term_columns,
)
from estimation.capture_recapture.glm import BatchFit, fit_poisson_batch
from estimation.capture_recapture.histories import CaptureHistories
from estimation.capture_recapture.identifiability import mle_exists
from estimation.capture_recapture.results import LoglinearResult, ModelTable

__all__ = ["enumerate_models", "search_models"]

MAX_MODELS = 100_000
CHUNK_ELEMENTS = 4_000_000  # models x parameters^2 per batch: bounds memory (~32 MB arrays)
# A zero cell whose fitted mean falls below this is checked by the linear programme.
ZERO_CELL_SUSPECT = 1e-4


def _candidate_terms(n_lists: int, max_order: int) -> list[Term]:
    return [
        frozenset(c) for size in range(2, max_order + 1) for c in combinations(range(n_lists), size)
    ]


def enumerate_models(n_lists: int, max_order: int | None = None) -> list[tuple[Term, ...]]:
    """All hierarchical models with every main effect and interactions up to ``max_order``.

    Returns the interaction terms of each model (main effects implied), starting with the
    independence model.

    Examples
    --------
    >>> len(enumerate_models(4)), len(enumerate_models(5))
    (113, 6893)
    """
    max_order = _check_order(n_lists, max_order)
    candidates = _candidate_terms(n_lists, max_order)
    models: list[tuple[Term, ...]] = []

    def extend(index: int, chosen: list[Term], chosen_set: set[Term]) -> None:
        if index == len(candidates):
            models.append(tuple(chosen))
            return
        extend(index + 1, chosen, chosen_set)
        term = candidates[index]
        if len(term) == 2 or all(term - {i} in chosen_set for i in term):
            chosen.append(term)
            chosen_set.add(term)
            extend(index + 1, chosen, chosen_set)
            chosen.pop()
            chosen_set.discard(term)

    extend(0, [], set())
    return models


def _check_order(n_lists: int, max_order: int | None) -> int:
    if max_order is None:
        max_order = n_lists - 1 if n_lists <= 5 else 2
    if not 1 <= max_order <= n_lists - 1:
        raise ValueError(f"max_order must be between 1 and {n_lists - 1}")
    if n_lists >= 6 and max_order > 2 or n_lists >= 7 and max_order > 1:
        raise ValueError(
            f"too many models to enumerate for {n_lists} lists with max_order={max_order}: "
            "lower max_order or use the stepwise search"
        )
    return max_order


def _model_names(included: np.ndarray, n_lists: int, candidates: list[Term]) -> list[str]:
    """Rcapture names of many models at once from their interaction-term indicators.

    A term is in the name when no included term one order higher contains it; a list is
    named alone when no included term contains it.
    """
    terms = [frozenset({i}) for i in range(n_lists)] + candidates
    contains = np.array(
        [[sub < sup and len(sup) == len(sub) + 1 for sub in terms] for sup in candidates]
    )
    full = np.hstack([np.ones((len(included), n_lists), dtype=bool), included])
    covered = (included.astype(np.int32) @ contains.astype(np.int32)) > 0
    maximal = full & ~covered
    order = sorted(range(len(terms)), key=lambda j: (-len(terms[j]), sorted(terms[j])))
    labels = np.array(["".join(str(i + 1) for i in sorted(terms[j])) for j in order], dtype=object)
    rows, cols = np.nonzero(maximal[:, order])
    splits = np.searchsorted(rows, np.arange(1, len(included)))
    return ["[" + ",".join(group) + "]" for group in np.split(labels[cols], splits)]


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
) -> BatchFit:
    """Fit many column masks of ``X`` in memory-bounded chunks (``Y`` shared or per mask)."""
    P = X.shape[1]
    size = max(1, CHUNK_ELEMENTS // (P * P))
    Y = np.asarray(Y, dtype=float)
    parts = []
    for part in _chunks(len(masks), size):
        y_part = Y if Y.ndim == 1 else Y[part]
        start_part = None if start is None else start[part]
        parts.append(
            fit_poisson_batch(
                X, y_part, masks[part], start=start_part, maxit=maxit, abandon_below=abandon_below
            )
        )
    return BatchFit(
        coef=np.concatenate([p.coef for p in parts]),
        var_intercept=np.concatenate([p.var_intercept for p in parts]),
        deviance=np.concatenate([p.deviance for p in parts]),
        loglik=np.concatenate([p.loglik for p in parts]),
        converged=np.concatenate([p.converged for p in parts]),
        singular=np.concatenate([p.singular for p in parts]),
        min_fitted_zero=np.concatenate([p.min_fitted_zero for p in parts]),
        iterations=max(p.iterations for p in parts),
    )


@dataclass(frozen=True)
class SearchDesign:
    """Full design of a search and the column mask of each candidate model."""

    X: np.ndarray
    masks: np.ndarray
    names: list[str]
    tau_column: int | None


def search_design(
    histories: CaptureHistories,
    models: list[tuple[Term, ...]],
    max_order: int,
    heterogeneity: str | None = None,
    theta: float | None = None,
) -> SearchDesign:
    """Build the full design (intercept, main effects, interactions, heterogeneity)."""
    k = histories.n_lists
    patterns = histories.patterns
    candidates = _candidate_terms(k, max_order)
    mains = [frozenset({i}) for i in range(k)]
    X = np.column_stack([np.ones(len(patterns)), term_columns(patterns, mains + candidates)])
    position = {term: 1 + k + j for j, term in enumerate(candidates)}
    kind, theta = normalise_heterogeneity(heterogeneity, theta)
    tau = None
    label = ""
    if kind == "Chao":
        raise ValueError("the model search supports Poisson, Darroch or Gamma heterogeneity")
    if kind is not None:
        extra, _ = heterogeneity_columns(patterns.sum(axis=1), kind, theta, k)
        X = np.column_stack([X, extra])
        tau = X.shape[1] - 1
        label = " " + heterogeneity_label(kind, theta)
    masks = np.zeros((len(models), X.shape[1]), dtype=bool)
    masks[:, : 1 + k] = True
    if tau is not None:
        masks[:, tau] = True
    rows = np.repeat(np.arange(len(models)), [len(terms) for terms in models])
    cols = [position[t] for terms in models for t in terms]
    masks[rows, cols] = True
    names = [
        name + label
        for name in _model_names(masks[:, 1 + k : 1 + k + len(candidates)], k, candidates)
    ]
    return SearchDesign(X=X, masks=masks, names=names, tau_column=tau)


def results_from_batch(
    histories: CaptureHistories, design: SearchDesign, fit: BatchFit
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
    results = []
    for i, name in enumerate(design.names):
        status, message = "ok", ""
        if fit.singular[i]:
            status, message = "not_identifiable", "design not of full rank"
        elif fit.min_fitted_zero[i] < ZERO_CELL_SUSPECT and not mle_exists(
            design.X[:, design.masks[i]], y
        ):
            status = "no_mle"
            message = "the maximum likelihood estimate does not exist (zero cells)"
        elif not fit.converged[i]:
            status, message = "not_converged", "the Poisson fit did not converge"
        elif not (np.isfinite(abundance[i]) and np.isfinite(stderr[i])):
            status, message = "no_mle", "the abundance estimate is not finite"
        elif design.tau_column is not None and fit.coef[i, design.tau_column] < 0:
            status = "boundary"
            message = "heterogeneity parameter tau is negative (boundary)"
        results.append(
            LoglinearResult(
                name=name,
                lists=histories.lists,
                observed=n,
                abundance=float(abundance[i]),
                stderr=float(stderr[i]),
                deviance=float(fit.deviance[i]),
                df=int(len(y) - rank[i]),
                aic=float(aic[i]),
                bic=float(bic[i]),
                status=status,
                message=message,
                var_intercept=float(fit.var_intercept[i]),
            )
        )
    return results


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
    heterogeneity : {None, "Poisson", "Darroch", "Gamma"}
        Heterogeneity column added to every model.
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
    max_order = _check_order(histories.n_lists, max_order)
    models = enumerate_models(histories.n_lists, max_order)
    if len(models) > MAX_MODELS:
        raise ValueError(f"{len(models)} models is too many; lower max_order")
    design = search_design(histories, models, max_order, heterogeneity, theta)
    fit = fit_masks(design.X, histories.counts, design.masks)
    results = rank_results(results_from_batch(histories, design, fit), criterion)
    return ModelTable(
        lists=histories.lists,
        observed=histories.observed,
        results=tuple(results),
        criterion=criterion,
    )
