"""Stepwise selection of two-list interactions by Poisson p-values (SparseMSE's
``stepwisefit``; Chan, Silverman & Vincent 2019).

Starting from the main-effects model, at each step every pair of lists not yet in the model
is scored by the one-sided Poisson p-value of its observed overlap ``n*`` (people on both
lists, whatever their other lists) given the current fit's expected overlap ``p*``:
``min(P(X <= n*), P(X >= n*))`` with ``X ~ Poisson(p*)``. The pair with the smallest p-value
is added if it is below the threshold (0.02) and the enlarged model passes the existence
and identifiability checks; otherwise the search stops. A pair with an empty overlap is
handled as SparseMSE does: its parameter is minus infinity, so the histories containing both
lists are removed from the fit and the AIC counts the parameter.

References
----------
Chan, L., Silverman, B. W. & Vincent, K. (2021). Multiple systems estimation for sparse
capture data: inferential challenges when there are nonoverlapping lists. JASA 116,
1297-1306.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from estimation.capture_recapture.design import model_name
from estimation.capture_recapture.glm import fit_poisson
from estimation.capture_recapture.histories import CaptureHistories
from estimation.capture_recapture.identifiability import check_identifiability
from estimation.capture_recapture.results import LoglinearResult

__all__ = ["StepwiseResult", "fit_pairwise", "stepwise"]

Pair = tuple[int, int]


def _reduced_design(
    histories: CaptureHistories, pairs: list[Pair]
) -> tuple[np.ndarray, np.ndarray, list[Pair], list[Pair], np.ndarray]:
    """Design and counts after removing histories that contain an empty-overlap pair."""
    patterns = histories.patterns
    y = histories.counts.astype(float)
    keep = np.ones(len(y), dtype=bool)
    used, empty = [], []
    for i, j in pairs:
        both = (patterns[:, i] == 1) & (patterns[:, j] == 1)
        if y[both].sum() == 0:
            empty.append((i, j))
            keep &= ~both
        else:
            used.append((i, j))
    columns = [np.ones(len(y))] + [patterns[:, i] for i in range(histories.n_lists)]
    columns += [patterns[:, i] * patterns[:, j] for i, j in used]
    X = np.column_stack(columns).astype(float)[keep]
    return X, y[keep], used, empty, keep


def _name(histories: CaptureHistories, pairs: list[Pair]) -> str:
    k = histories.n_lists
    if k <= 9:
        return model_name([frozenset(p) for p in pairs] + [frozenset({i}) for i in range(k)])
    inner = ", ".join(f"{histories.lists[i]}:{histories.lists[j]}" for i, j in pairs)
    return f"main effects + {inner}" if pairs else "main effects"


def fit_pairwise(histories: CaptureHistories, pairs: list[Pair]) -> LoglinearResult:
    """Fit the model with all main effects and the given two-list interactions (0-based),
    as SparseMSE's ``modelfit`` (empty overlaps removed, AIC counting their parameters)."""
    X, y, used, empty, _ = _reduced_design(histories, pairs)
    fit = fit_poisson(X, y)
    n = histories.observed
    with np.errstate(over="ignore"):
        f0 = float(np.exp(fit.coef[0]))
    p = fit.rank + len(empty)
    check = check_identifiability(X, y)
    status, message = "ok", ""
    if not check.identifiable or fit.aliased.any():
        status, message = "not_identifiable", "design not of full rank"
    elif not check.exists:
        status, message = "no_mle", "the maximum likelihood estimate does not exist (zero cells)"
    elif not fit.converged:
        status, message = "not_converged", "the Poisson fit did not converge"
    if empty:
        names = ", ".join(f"{histories.lists[i]}:{histories.lists[j]}" for i, j in empty)
        message = (message + "; " if message else "") + f"empty overlap(s) {names} set to -inf"
    return LoglinearResult(
        name=_name(histories, pairs),
        lists=histories.lists,
        observed=n,
        abundance=n + f0,
        stderr=float(np.sqrt(f0 + f0**2 * fit.cov[0, 0])),
        deviance=fit.deviance,
        df=len(y) - fit.rank,
        aic=-2 * fit.loglik + 2 * p,
        bic=-2 * fit.loglik + math.log(n) * p,
        status=status,
        message=message,
        coefficients={"(Intercept)": float(fit.coef[0])},
        var_intercept=float(fit.cov[0, 0]),
        design=X,
        counts=y,
    )


@dataclass(frozen=True)
class StepwiseResult:
    """Outcome of :func:`stepwise`.

    Attributes
    ----------
    model : LoglinearResult
        The selected model.
    steps : tuple of (str, float)
        The pairs added, in order, with their p-values.
    """

    model: LoglinearResult
    steps: tuple[tuple[str, float], ...]

    def conf_int(self, alpha: float = 0.05, method: str = "lognormal") -> tuple[float, float]:
        """Interval of the selected model (see :meth:`LoglinearResult.conf_int`)."""
        return self.model.conf_int(alpha, method)

    def summary(self) -> str:
        """Selected model and the steps that led to it."""
        lines = [f"  + {pair} (p = {p:.3g})" for pair, p in self.steps] or ["  (no pair added)"]
        return "Stepwise selection:\n" + "\n".join(lines) + "\n" + self.model.summary()


def stepwise(histories: CaptureHistories, *, threshold: float = 0.02) -> StepwiseResult:
    """Select two-list interactions stepwise by Poisson p-values (SparseMSE's ``stepwisefit``).

    Parameters
    ----------
    histories : CaptureHistories
        Any number of lists.
    threshold : float
        A pair is added only if its p-value is below this (SparseMSE's ``pthresh``).

    Returns
    -------
    StepwiseResult
    """
    from scipy.stats import poisson

    if not 0 <= threshold <= 1:
        raise ValueError("threshold must be between 0 and 1")
    k = histories.n_lists
    patterns = histories.patterns
    counts = histories.counts
    candidates = list(combinations(range(k), 2))
    overlap = {
        pair: int(counts[(patterns[:, pair[0]] * patterns[:, pair[1]]) == 1].sum())
        for pair in candidates
    }
    pairs: list[Pair] = []
    steps: list[tuple[str, float]] = []
    while True:
        X, y, _, _, keep = _reduced_design(histories, pairs)
        fitted = fit_poisson(X, y).fitted
        kept = patterns[keep]
        best, best_p = None, 1.0
        for pair in candidates:
            if pair in pairs:
                continue
            expected = float(fitted @ (kept[:, pair[0]] * kept[:, pair[1]]))
            observed = overlap[pair]
            p = min(poisson.cdf(observed, expected), poisson.sf(observed - 1, expected))
            if p < best_p:
                Xc, yc, *_ = _reduced_design(histories, pairs + [pair])
                if check_identifiability(Xc, yc).ok:
                    best, best_p = pair, float(p)
        if best is None or best_p >= threshold:
            break
        pairs.append(best)
        steps.append((f"{histories.lists[best[0]]}:{histories.lists[best[1]]}", best_p))
    return StepwiseResult(model=fit_pairwise(histories, pairs), steps=tuple(steps))
