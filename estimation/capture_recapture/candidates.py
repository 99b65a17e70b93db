"""Candidate models of a search: enumeration, names and the shared design.

All hierarchical models containing every main effect and no interaction above
``max_order`` (Rcapture's ``getAllModels`` with its default ``forced = 1:t``): 113 for 4
lists, 6,893 for 5, and with ``max_order=2`` the ``2**(k(k-1)/2)`` pairwise models (32,768
for 6). Rcapture with ``forced = NULL`` also lists the models that leave out main effects
(7,579 for 5 lists); :func:`count_models` counts both sets.
Each model is a column mask of one full design (intercept, main effects, interactions,
optional heterogeneity column).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from itertools import combinations, product

import numpy as np

from estimation.capture_recapture.design import (
    Term,
    heterogeneity_columns,
    heterogeneity_label,
    normalise_heterogeneity,
    term_columns,
)
from estimation.capture_recapture.histories import CaptureHistories

__all__ = ["SearchDesign", "check_order", "count_models", "enumerate_models", "search_design"]


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
    return list(_enumerate(n_lists, check_order(n_lists, max_order)))


@functools.lru_cache(maxsize=16)
def _enumerate(n_lists: int, max_order: int) -> tuple[tuple[Term, ...], ...]:
    """The models of :func:`enumerate_models`, kept: a search, its model count and its
    bootstrap enumerate the same set (0.1 s for 5 lists)."""
    candidates = _candidate_terms(n_lists, max_order)
    if max_order <= 2:
        # every subset of pairs is hierarchical: the same order as the recursion below
        return tuple(
            tuple(term for term, bit in zip(candidates, bits, strict=True) if bit)
            for bits in product((False, True), repeat=len(candidates))
        )
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
    return tuple(models)


def count_models(n_lists: int, max_order: int, *, main_effects_forced: bool = True) -> int:
    """Number of models of Rcapture's ``getAllModels(t, maxorder, forced)``.

    With ``main_effects_forced`` (Rcapture's default ``forced = 1:t``) this is
    ``len(enumerate_models(n_lists, max_order))``. Without (``forced = NULL``), a model may
    use any subset of ``j`` lists, each subset counted with its own models (the ``j``-list
    interaction allowed when ``j <= max_order``), plus the intercept-only model ``[]``.

    Examples
    --------
    >>> count_models(5, 4), count_models(5, 4, main_effects_forced=False)
    (6893, 7579)
    """
    if main_effects_forced:
        return _count_forced(n_lists, max_order)
    return sum(math.comb(n_lists, j) * _count_forced(j, max_order) for j in range(n_lists + 1))


def _count_forced(n_lists: int, max_order: int) -> int:
    if n_lists <= 1 or max_order <= 1:
        return 1
    if max_order >= n_lists:
        return _count_forced(n_lists, n_lists - 1) + 1  # plus the saturated model
    if max_order == 2:
        return 2 ** math.comb(n_lists, 2)
    return len(enumerate_models(n_lists, max_order))


def check_order(n_lists: int, max_order: int | None) -> int:
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
    bounds = np.searchsorted(rows, np.arange(len(included) + 1)).tolist()
    ordered = labels[cols].tolist()
    return [
        "[" + ",".join(ordered[a:b]) + "]" for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]


@dataclass(frozen=True)
class SearchDesign:
    """Full design of a search and the column mask of each candidate model."""

    X: np.ndarray
    masks: np.ndarray
    names: list[str]
    tau_column: int | None
    chao_columns: tuple[int, ...] = ()


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
    chao: tuple[int, ...] = ()
    label = ""
    if kind is not None:
        extra, _ = heterogeneity_columns(patterns.sum(axis=1), kind, theta, k)
        first = X.shape[1]
        X = np.column_stack([X, extra])
        if kind == "Chao":
            chao = tuple(range(first, X.shape[1]))
        else:
            tau = first
        label = " " + heterogeneity_label(kind, theta)
    masks = np.zeros((len(models), X.shape[1]), dtype=bool)
    masks[:, : 1 + k] = True
    masks[:, 1 + k + len(candidates) :] = True
    rows = np.repeat(np.arange(len(models)), [len(terms) for terms in models])
    cols = [position[t] for terms in models for t in terms]
    masks[rows, cols] = True
    names = [
        name + label
        for name in _model_names(masks[:, 1 + k : 1 + k + len(candidates)], k, candidates)
    ]
    return SearchDesign(X=X, masks=masks, names=names, tau_column=tau, chao_columns=chao)
