"""The AIC- or BIC-best candidate of a search in many tables at once, without fitting the
candidates that cannot win (the bootstrap's model selection, repeated in every replicate).

A model's maximised log-likelihood is at most that of any model containing it: its
maximum is taken over part of the larger model's parameter space. So for a candidate
``m`` and a fitted model ``M`` whose columns include all of ``m``'s,

    score(m) = -2 L(m) + c rank(m)  >=  -2 L(M) + c rank(m),

with ``c = 2`` (AIC) or ``log n`` (BIC). Without such an ``M``, ``-2 L(m)`` is still at
least ``-2`` times the log-likelihood of the perfect fit (every fitted count equal to the
observed one). The bounding models are, for each interaction column, the largest
candidate without it (with hierarchical candidates, every candidate lacking that column
is inside it). Each table is first fitted with the bounding models and with the models
that won on the original data; a candidate whose bound is not below the table's best score
so far cannot be selected and is not fitted. The rest are fitted in rounds, most
promising first, the best score being updated between rounds.

A bound counts only when its model's fit is at its maximum: converged, of full rank, with
no fitted count of an empty cell near zero (the MLE is interior; the Poisson
log-likelihood is concave, so Newton's limit is the global maximum). A small margin
covers the convergence tolerance. The selection, the selected model's abundance and the
failures are those of fitting every candidate (``prune=False``; the tests compare them on
3, 4 and 5 lists). With 5 lists (6,893 candidates) 2-25% of the fits remain.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from estimation.capture_recapture.candidates import SearchDesign
from estimation.capture_recapture.glm import BatchFit, log_factorial, xlogy
from estimation.capture_recapture.identifiability import ZERO_CELL_SUSPECT
from estimation.capture_recapture.search import fit_masks

__all__ = ["bounding_models", "select_best"]

#: Relative slack on a bounding model's deviance (its fit stops at a relative change of
#: ``1e-8``; Newton's convergence is quadratic, so what is left is far smaller).
BOUND_MARGIN = 1e-6
#: Candidates fitted per table in each round after the first, the lowest bounds first.
ROUND_SIZE = 256


def bounding_models(masks: np.ndarray) -> np.ndarray:
    """For each column that some candidate leaves out, and each pair of such columns, the
    largest candidate without them (with hierarchical candidates, every candidate lacking
    those columns is inside it)."""
    rank = masks.sum(axis=1)
    optional = np.flatnonzero(~masks.all(axis=0))
    chosen = []
    for columns in [(c,) for c in optional] + list(combinations(optional, 2)):
        without = np.flatnonzero(~masks[:, columns].any(axis=1))
        if without.size:
            chosen.append(without[np.argmax(rank[without])])
    return np.unique(np.array(chosen, dtype=np.intp))


def select_best(
    design: SearchDesign,
    draws: np.ndarray,
    criterion: str,
    leaders: np.ndarray | None = None,
    *,
    prune: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Each table's selected abundance (``nan`` if no candidate has a sound fit) and the
    index of its selected model.

    ``leaders`` are candidates fitted first in every table (the best ones on the original
    data give a low best score early); ``prune=False`` fits every candidate.
    """
    draws = np.asarray(draws, dtype=float)
    n_tables, n_models = len(draws), len(design.masks)
    rank = design.masks.sum(axis=1)
    observed = draws.sum(axis=1)
    penalty = np.full(n_tables, 2.0) if criterion == "aic" else np.log(np.maximum(observed, 1.0))
    state = _Tables(design, draws, penalty)
    if not prune:
        state.fit(np.ones((n_tables, n_models), dtype=bool))
        return state.outcome()
    bounds = bounding_models(design.masks)
    first = np.zeros(n_models, dtype=bool)
    first[bounds] = True
    if leaders is not None:
        first[np.asarray(leaders, dtype=np.intp)] = True
    fitted = state.fit(np.broadcast_to(first, (n_tables, n_models)))
    lower = state.lower_bounds(bounds, *fitted) + penalty[:, None] * rank
    while True:
        open_ = (lower < state.best[:, None]) & ~state.fitted
        if not open_.any():
            return state.outcome()
        # per table, the ROUND_SIZE open candidates of lowest bound
        keyed = np.where(open_, lower, np.inf)
        cut = min(ROUND_SIZE, n_models - 1)
        threshold = np.partition(keyed, cut, axis=1)[:, cut]
        state.fit(open_ & (keyed <= threshold[:, None]))


class _Tables:
    """Scores and abundances of the (table, candidate) pairs fitted so far."""

    def __init__(self, design: SearchDesign, draws: np.ndarray, penalty: np.ndarray) -> None:
        self.design, self.draws, self.penalty = design, draws, penalty
        shape = (len(draws), len(design.masks))
        self.fitted = np.zeros(shape, dtype=bool)
        self.score = np.full(shape, np.inf)
        self.abundance = np.full(shape, np.nan)
        self.best = np.full(len(draws), np.inf)

    def fit(self, which: np.ndarray) -> tuple[np.ndarray, np.ndarray, BatchFit | None]:
        """Fit the pairs of ``which`` not fitted yet; the pairs (tables, models) and fits."""
        tables, models = np.nonzero(which & ~self.fitted)
        if tables.size == 0:
            return tables, models, None
        masks = self.design.masks[models]
        # fits with a zero cell going to 0 are excluded from the selection anyway: stop
        # them early (25 iterations at most, as R's glm)
        batch = fit_masks(
            self.design.X,
            self.draws[tables],
            masks,
            maxit=25,
            abandon_below=ZERO_CELL_SUSPECT / 10,
        )
        observed = self.draws[tables].sum(axis=1)
        with np.errstate(over="ignore", invalid="ignore"):
            abundance = observed + np.exp(batch.coef[:, 0])
        sound = batch.converged & ~batch.singular & (batch.min_fitted_zero >= ZERO_CELL_SUSPECT)
        score = -2 * batch.loglik + self.penalty[tables] * masks.sum(axis=1)
        score = np.where(sound & np.isfinite(abundance), score, np.inf)
        self.fitted[tables, models] = True
        self.score[tables, models] = score
        self.abundance[tables, models] = abundance
        np.minimum.at(self.best, tables, score)
        return tables, models, batch

    def lower_bounds(
        self,
        bounds: np.ndarray,
        tables: np.ndarray,
        models: np.ndarray,
        batch: BatchFit | None,
    ) -> np.ndarray:
        """Lower bound of ``-2 L`` of every (table, candidate) from the bounding models,
        whose fits are among the pairs ``tables``, ``models`` of ``batch`` (``None``: no
        pair was fitted, so only the perfect fit bounds)."""
        y = self.draws
        value = np.full((len(y), len(bounds)), -np.inf)
        if batch is not None:
            self._bound_values(value, bounds, tables, models, batch)
        perfect = -2 * np.sum(xlogy(y, y) - y - log_factorial(y), axis=1)
        lower = np.repeat(perfect[:, None], len(self.design.masks), axis=1)
        masks = self.design.masks.astype(np.int32)
        inside = (masks @ (1 - masks[bounds]).T) == 0  # candidate m within bounding model j
        for j in range(len(bounds)):
            lower = np.where(inside[None, :, j], np.maximum(lower, value[:, j, None]), lower)
        return lower

    def _bound_values(self, value, bounds, tables, models, batch: BatchFit) -> None:
        """Fill ``value`` (table x bounding model) with the bounds of the converged,
        full-rank fits among the first fits.

        A bounding model is refitted to its maximum (no early stop on the boundary, 100
        iterations at most, from where its first fit stopped); it bounds only if that
        converged with full rank: on the boundary, the log-likelihood then approaches its
        supremum geometrically, so the margin covers what is left, as for interior fits.
        """
        column = np.full(len(self.design.masks), -1)
        column[bounds] = np.arange(len(bounds))
        rows = np.flatnonzero(column[models] >= 0)  # the bounding pairs of the first fits
        at, which = tables[rows], column[models[rows]]
        done = batch.converged[rows] & ~batch.singular[rows]
        value[at[done], which[done]] = _bound(batch)[rows[done]]
        again = rows[~done]
        if again.size:
            refit = fit_masks(
                self.design.X,
                self.draws[tables[again]],
                self.design.masks[models[again]],
                start=batch.coef[again],
                maxit=100,
            )
            value[tables[again], column[models[again]]] = np.where(
                refit.converged & ~refit.singular, _bound(refit), -np.inf
            )

    def outcome(self) -> tuple[np.ndarray, np.ndarray]:
        best = np.argmin(self.score, axis=1)
        rows = np.arange(len(self.draws))
        found = np.isfinite(self.score[rows, best])
        return np.where(found, self.abundance[rows, best], np.nan), best


def _bound(fit) -> np.ndarray:
    """``-2 L`` of converged fits less the margin: a lower bound for their submodels."""
    return -2 * fit.loglik - BOUND_MARGIN * (np.abs(fit.deviance) + 1)
