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
from scipy.optimize import linprog

__all__ = ["Identifiability", "check_identifiability", "mle_exists"]


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
    X = np.asarray(X, dtype=float)
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
    if result.status != 0:
        return False
    return bool(-result.fun > tol)


def check_identifiability(X: np.ndarray, y: np.ndarray) -> Identifiability:
    """Check existence (linear programme) and identifiability (rank) for one model."""
    X = np.asarray(X, dtype=float)
    rank = int(np.linalg.matrix_rank(X))
    deficiency = X.shape[1] - rank
    return Identifiability(
        exists=mle_exists(X, y), identifiable=deficiency == 0, rank_deficiency=deficiency
    )
