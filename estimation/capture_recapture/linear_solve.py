"""Batched linear solves for the Newton steps of many small Poisson models.

numpy's batched LAPACK ``solve`` is fast for stacks of equal-sized matrices; models of a
search differ only by which columns they use, so they are grouped by size and each group's
sub-matrices are gathered with flat indices (a vectorised Cholesky in numpy was measured
slower than this).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ColumnGroups", "solve_batch"]


class ColumnGroups:
    """Models grouped by their number of columns, with the flat positions of their
    information-matrix entries, so each group is one batched LAPACK call on matrices no
    larger than needed (excluded columns keep a zero coefficient).

    ``product_index`` (optional, of length ``P * P``) says where entry ``(i, j)`` of an
    information matrix is stored in the rows ``H`` passed to :meth:`solve` (the distinct
    column products of :func:`~.glm.column_products`); by default ``H`` has all ``P * P``.
    """

    def __init__(self, masks: np.ndarray, product_index: np.ndarray | None = None) -> None:
        P = masks.shape[1]
        sizes = masks.sum(axis=1)
        self.groups = []
        for size in np.unique(sizes):
            rows = np.flatnonzero(sizes == size)
            idx = np.nonzero(masks[rows])[1].reshape(len(rows), size)
            flat = (idx[:, :, None] * P + idx[:, None, :]).reshape(len(rows), size * size)
            if product_index is not None:
                flat = product_index[flat]
            self.groups.append((int(size), rows, idx, flat))

    def solve(
        self, H: np.ndarray, rhs: np.ndarray, active: np.ndarray, n_models: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Solve the systems of the ``active`` models; ``H`` is (a, P*P) or (a, distinct
        products), ``rhs`` (a, P, r)."""
        every = len(active) == n_models
        where = np.full(n_models, -1)
        where[active] = np.arange(len(active))
        out = np.zeros(rhs.shape)
        singular = np.zeros(len(active), dtype=bool)
        for size, rows, idx, flat in self.groups:
            if every:
                pos, cols, entries = rows[:, None], idx, flat
            else:
                pos = where[rows]
                keep = pos >= 0
                if not keep.any():
                    continue
                pos, cols, entries = pos[keep][:, None], idx[keep], flat[keep]
            block = H[pos, entries].reshape(-1, size, size)
            solution, sing = solve_batch(block, rhs[pos, cols])
            out[pos, cols] = solution
            singular[pos[:, 0]] = sing
        return out, singular


def solve_batch(H: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve each ``H[b] x = rhs[b]`` (rhs of shape (B, P, r)); singular systems get a
    least-squares solution and a flag."""
    try:
        return np.linalg.solve(H, rhs), np.zeros(len(H), dtype=bool)
    except np.linalg.LinAlgError:
        out = np.empty_like(rhs)
        singular = np.zeros(len(H), dtype=bool)
        for b in range(len(H)):
            try:
                out[b] = np.linalg.solve(H[b], rhs[b])
            except np.linalg.LinAlgError:
                out[b] = np.linalg.lstsq(H[b], rhs[b], rcond=None)[0]
                singular[b] = True
        return out, singular
