"""Checks run before a fit: does the maximum likelihood estimate exist, is it identifiable?

Existence (Fienberg & Rinaldo 2012; as SparseMSE's ``checkident``): the MLE of a Poisson
log-linear model exists exactly when some table with strictly positive cells has the same
sufficient statistics ``t = X' y`` as the data. The linear programme

.. math:: \\max s \\quad\\text{s.t.}\\quad X' x = X' y,\\; x_c \\ge s,\\; x \\ge 0

has optimum ``s > 0`` if and only if the MLE exists; ``s = 0`` means some zero cells send a
parameter to minus infinity. Identifiability: the design must have full column rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "ZERO_CELL_SUSPECT",
    "Identifiability",
    "check_identifiability",
    "mle_exists",
    "mle_exists_many",
    "no_mle_direction",
]

#: A fitted mean of a zero cell below this makes a fit a suspect: the linear programme
#: decides whether its MLE exists (above it, after convergence, the fit itself is a strictly
#: positive solution of the likelihood equations).
ZERO_CELL_SUSPECT = 1e-4


@dataclass(frozen=True)
class Identifiability:
    """Outcome of :func:`check_identifiability`.

    Attributes
    ----------
    exists : bool
        Whether the maximum likelihood estimate is finite.
    identifiable : bool
        Whether the design has full column rank.
    rank_deficiency : int
        Number of columns that are linear combinations of others.
    """

    exists: bool
    identifiable: bool
    rank_deficiency: int

    @property
    def ok(self) -> bool:
        """Both conditions hold."""
        return self.exists and self.identifiable

    @property
    def code(self) -> int:
        """SparseMSE's error code: 0 fine, 1 no MLE, 2 not identifiable, 3 both."""
        return int(not self.exists) + 2 * int(not self.identifiable)


def mle_exists(X: np.ndarray, y: np.ndarray, *, tol: float = 1e-9) -> bool:
    """Return whether the Poisson log-linear MLE for design ``X`` and counts ``y`` exists."""
    y = np.asarray(y, dtype=float)
    if np.all(y > 0):
        return True
    return _positive_table(np.asarray(X, dtype=float), y, tol) is not None


def _positive_table(X: np.ndarray, y: np.ndarray, tol: float) -> np.ndarray | None:
    """Solve the linear programme: a strictly positive table with the margins ``X' y``
    (scaled to total 1), or ``None`` when there is none (the MLE does not exist)."""
    from scipy.optimize import linprog  # only when a programme must run

    n_cells = X.shape[0]
    scale = max(float(y.sum()), 1.0)
    # variables: x (n_cells) and s; maximise s
    c = np.zeros(n_cells + 1)
    c[-1] = -1.0
    A_eq = np.hstack([X.T, np.zeros((X.shape[1], 1))])
    b_eq = X.T @ (y / scale)
    A_ub = np.hstack([-np.eye(n_cells), np.ones((n_cells, 1))])
    b_ub = np.zeros(n_cells)
    result = linprog(
        c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs"
    )
    if result.status != 0 or not -result.fun > tol:
        return None
    return result.x[:n_cells] * scale


def mle_exists_many(
    X: np.ndarray,
    masks: np.ndarray,
    y: np.ndarray,
    *,
    suspects: np.ndarray | None = None,
    eta: np.ndarray | None = None,
    tol: float = 1e-9,
) -> np.ndarray:
    """Whether the MLE exists for each model (a column mask of ``X``): the decisions of
    :func:`mle_exists`, with most linear programmes skipped.

    Existence of a model is monotone in its columns: a strictly positive table with the
    margins of a model also has the margins of every submodel, and a zero margin of a
    submodel stays a zero margin of every larger model. So, in this order:

    1. all cells positive: every MLE exists;
    2. a model using a column that is of one sign, not all zero, and whose sufficient
       statistic ``X_j' y`` is 0 (an interaction of lists nobody is on together) has no MLE;
    3. models that are not ``suspects`` (when given: a search passes the models whose
       fitted means of zero cells stayed away from 0) exist;
    4. the others, largest first, reuse earlier answers: a model whose margins a positive
       table found earlier already matches exists; a model containing all the columns of
       a model without MLE has none;
    5. with ``eta`` (each model's fitted linear predictor over the cells, from its
       Newton iterations), a model whose fit sends zero cells to 0 along a direction that
       :func:`no_mle_direction` verifies has none;
    6. only the rest run the linear programme (and import scipy).
    """
    X = np.asarray(X, dtype=float)
    masks = np.asarray(masks, dtype=bool)
    y = np.asarray(y, dtype=float)
    exists = np.ones(len(masks), dtype=bool)
    if np.all(y > 0) or len(masks) == 0:
        return exists
    statistic = X.T @ y
    one_sign = np.all(X >= 0, axis=0) | np.all(X <= 0, axis=0)
    dead = one_sign & np.any(X != 0, axis=0) & (statistic == 0)
    exists &= ~masks[:, dead].any(axis=1)
    todo = exists.copy() if suspects is None else exists & np.asarray(suspects, dtype=bool)
    order = np.flatnonzero(todo)
    order = order[np.argsort(-masks[order].sum(axis=1), kind="stable")]
    mismatch = np.zeros((0, X.shape[1]), dtype=bool)  # columns whose margin a table misses
    missing = np.zeros((0, X.shape[1]), dtype=bool)  # masks of models without MLE
    scale = np.maximum(np.abs(statistic), 1.0)
    for i in order:
        mask = masks[i]
        if mismatch.size and not np.all(mismatch[:, mask].any(axis=1)):
            continue
        if missing.size and np.any(~(missing & ~mask).any(axis=1)):
            exists[i] = False
            continue
        if eta is not None and no_mle_direction(X[:, mask], y, eta[i]):
            exists[i] = False
            missing = np.vstack([missing, mask])
            continue
        table = _positive_table(X[:, mask], y, tol)
        if table is None:
            exists[i] = False
            missing = np.vstack([missing, mask])
        else:
            gap = np.abs(X.T @ table - statistic) > 1e-7 * scale
            mismatch = np.vstack([mismatch, gap])
    return exists


def no_mle_direction(X: np.ndarray, y: np.ndarray, eta: np.ndarray) -> bool:
    """Whether a direction proves that the MLE does not exist (without a linear programme).

    The MLE does not exist exactly when some ``d = X b`` is 0 on every positive cell, at
    most 0 on the zero cells and not 0 everywhere: the likelihood then grows without end
    along ``b`` (Haberman 1974). A fit heading there shows the cells ``S`` it sends to 0
    (zero cells with a fitted mean below :data:`ZERO_CELL_SUSPECT`); this looks for a
    ``d`` that is 0 off ``S`` (``b`` in the null space of those rows of ``X``) and
    negative on all of ``S``. ``True`` is a proof (up to rounding far below the linear
    programme's tolerance); ``False`` decides nothing: the linear programme runs.
    """
    heading = (np.asarray(y) == 0) & (np.asarray(eta) < np.log(ZERO_CELL_SUSPECT))
    if not heading.any():
        return False
    rest = X[~heading]
    if rest.shape[0]:
        _, s, vt = np.linalg.svd(rest, full_matrices=True)
        rank = int(np.sum(s > 1e-10 * max(s[0], 1.0))) if s.size else 0
    else:
        vt, rank = np.eye(X.shape[1]), 0
    null = vt[rank:].T
    if null.shape[1] == 0:
        return False
    toward = X[heading] @ null
    v = np.linalg.lstsq(toward, -np.ones(toward.shape[0]), rcond=None)[0]
    d = toward @ v
    off = rest @ (null @ v)
    size = float(np.abs(d).max()) if d.size else 0.0
    return size > 0 and bool(np.all(d < -1e-6 * size)) and bool(np.all(np.abs(off) < 1e-9 * size))


def check_identifiability(X: np.ndarray, y: np.ndarray) -> Identifiability:
    """Check existence (linear programme) and identifiability (rank) for one model."""
    X = np.asarray(X, dtype=float)
    rank = int(np.linalg.matrix_rank(X))
    deficiency = X.shape[1] - rank
    return Identifiability(
        exists=mle_exists(X, y), identifiable=deficiency == 0, rank_deficiency=deficiency
    )
