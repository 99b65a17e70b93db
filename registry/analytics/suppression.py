"""Primary and complementary cell suppression on an additive table.

Public interface::

    Constraint = tuple[Key, tuple[Key, ...]]          # total == sum(parts)
    suppress(values, constraints, published, *, threshold) -> frozenset[Key]
        # the published cells to withhold
    determined_cells(constraints, unknown) -> set[Key]
        # the unknown cells that the known cells and the constraints pin down exactly

Rules: a count from 1 to ``threshold - 1`` is *sensitive* and withheld (primary
suppression); zero is shown. The attacker is assumed to know every published cell and
every constraint, and to know that counts are non-negative. Cells that are never
published (own counts of an org unit with children, hidden differences of nested counts)
are unknown to the attacker when non-zero, and counted as known when zero (that assumes
more knowledge than anyone has, so it can only make the protection stricter).

Complementary suppression: with ``M`` the constraint matrix restricted to the unknown
cells, a cell ``j`` is *determined* exactly when ``e_j`` lies in the row space of ``M``,
i.e. when every null-space vector of ``M`` is zero at ``j`` (:func:`determined_cells`,
an SVD per connected group of unknown cells). A cheap first pass withholds a partner in
every constraint left with a single unknown sensitive cell. Then, for each sensitive cell
still determined, a linear programme finds a direction ``x`` with ``M_all x = 0`` over the
whole table, ``x_j = 1``, zero on known zero cells, at the least total value of published
cells it touches; those cells are withheld. ``x`` is then a null-space vector through ``j``
and through every cell it touches, so all of them stay free whatever else is withheld
(withholding more never determines a free cell). Every unknown cell is positive, so the
table can move a little both ways along ``x`` without a cell going negative: each
withheld cell's feasible interval under non-negativity has positive width.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from registry.analytics.blas import one_blas_thread

Key = Hashable
Constraint = tuple[Key, tuple[Key, ...]]

#: Singular values and residuals below this count as zero (the matrices hold 0, 1, -1).
TOLERANCE = 1e-9


def suppress(
    values: Mapping[Key, int],
    constraints: Iterable[Constraint],
    published: Iterable[Key],
    *,
    threshold: int,
) -> frozenset[Key]:
    """The published cells to withhold so that no sensitive cell can be worked out."""
    constraints = [c for c in constraints if c[1]]
    published = set(published)
    sensitive = {k for k, v in values.items() if 1 <= v < threshold}
    unknown = {k for k, v in values.items() if v > 0 and (k in sensitive or k not in published)}
    _peel(values, constraints, published, sensitive, unknown)
    with one_blas_thread():
        exposed = sensitive & determined_cells(constraints, unknown)
    freed: set[Key] = set()
    table = _Table(constraints, values)
    for key in sorted(exposed, key=repr):
        if key in freed:
            continue
        support = table.cheapest_direction(key, unknown, published)
        unknown.update(support)
        freed.update(support)
    return frozenset(unknown & published)


class _Table:
    """The whole table as a sparse constraint matrix, for the direction-finding LP."""

    def __init__(self, constraints: list[Constraint], values: Mapping[Key, int]) -> None:
        self.constraints = constraints
        self.through = _through(constraints)
        self.cells = sorted(self.through, key=repr)
        self.column = {cell: j for j, cell in enumerate(self.cells)}
        self.values = values
        rows, cols, data = [], [], []
        for i, (total, parts) in enumerate(constraints):
            for cell, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
                rows.append(i)
                cols.append(self.column[cell])
                data.append(sign)
        shape = (len(constraints), len(self.cells))
        self.matrix = sparse.csc_matrix((data, (rows, cols)), shape=shape)

    def near(self, key: Key, steps: int) -> list[int]:
        """Columns of the cells at most ``steps`` shared constraints away from ``key``."""
        seen, frontier = {key}, {key}
        for _ in range(steps):
            frontier = {c for cell in frontier for i in self.through[cell]
                        for c in _cells(self.constraints[i])} - seen  # fmt: skip
            seen |= frontier
        return sorted(self.column[cell] for cell in seen)

    def cheapest_direction(self, key: Key, unknown: set[Key], published: set[Key]) -> set[Key]:
        """Cells to withhold so that a null-space vector through ``key`` exists.

        LP: ``x = p - n`` with ``M x = 0``, ``x_key = 1``, ``0 <= p, n <= 1``; cells that are
        zero and known stay at 0; withholding a published cell costs its value, an unknown
        cell nothing. The cells where ``x`` is not zero are returned (and, once withheld,
        ``x`` frees every cell it touches). The LP is tried on the cells at most three
        constraints from ``key`` first (any solution there is one of the whole table;
        measured faster than 2-then-4 or 1-then-3 steps), then on all of them.
        """
        for columns in (self.near(key, 3), list(range(len(self.cells)))):
            support = self._solve(key, columns, unknown, published)
            if support is not None:
                return support
        raise RuntimeError(f"no direction frees {key!r}")  # not while non-zero cells remain

    def _solve(self, key, columns: list[int], unknown, published) -> set[Key] | None:
        sub = self.matrix[:, columns]
        sub = sub[np.unique(sub.nonzero()[0])]
        size = len(columns)
        cost, upper = np.zeros(size), np.ones(size)
        for position, j in enumerate(columns):
            cell = self.cells[j]
            if cell in unknown:
                continue
            value = self.values.get(cell, 0)
            if value <= 0 or cell not in published:
                upper[position] = 0.0
            else:
                cost[position] = 1.0 + value
        at = columns.index(self.column[key])
        pick = sparse.csr_matrix(([1.0, -1.0], ([0, 0], [at, size + at])), shape=(1, 2 * size))
        result = linprog(
            np.concatenate([cost, cost]),
            A_eq=sparse.vstack([sparse.hstack([sub, -sub]), pick]).tocsr(),
            b_eq=np.concatenate([np.zeros(sub.shape[0]), [1.0]]),
            bounds=np.column_stack([np.zeros(2 * size), np.concatenate([upper, upper])]),
            method="highs",
        )
        if result.status != 0:
            return None
        x = result.x[:size] - result.x[size:]
        return {self.cells[columns[k]] for k in np.flatnonzero(np.abs(x) > 1e-9)}


def _through(constraints: list[Constraint]) -> dict[Key, list[int]]:
    through: dict[Key, list[int]] = defaultdict(list)
    for index, (total, parts) in enumerate(constraints):
        for key in (total, *parts):
            through[key].append(index)
    return through


def _cells(constraint: Constraint) -> tuple[Key, ...]:
    return (constraint[0], *constraint[1])


def _withholdable(cell: Key, values, published, unknown) -> bool:
    return cell in published and cell not in unknown and values.get(cell, 0) > 0


def _peel(values, constraints, published, sensitive, unknown) -> None:
    """Cheap first pass: a constraint with one unknown cell gives it away; if that cell is
    sensitive, withhold the smallest other cell of the constraint. Repeat until stable."""
    changed = True
    while changed:
        changed = False
        for constraint in constraints:
            cells = [c for c in _cells(constraint) if c in unknown]
            if len(cells) == 1 and cells[0] in sensitive:
                others = [c for c in _cells(constraint)
                          if _withholdable(c, values, published, unknown)]  # fmt: skip
                if others:
                    unknown.add(min(others, key=lambda c: (values[c], repr(c))))
                    changed = True


def _components(constraints, unknown: set[Key], through):
    """Connected groups of unknown cells (linked by a shared constraint) and their rows."""
    parent = {key: key for key in unknown}

    def find(key: Key) -> Key:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    rows_of: dict[Key, set[int]] = defaultdict(set)
    for key in unknown:
        for index in through.get(key, ()):
            for other in _cells(constraints[index]):
                if other in parent and other != key:
                    parent[find(other)] = find(key)
    groups: dict[Key, list[Key]] = defaultdict(list)
    for key in unknown:
        groups[find(key)].append(key)
        rows_of[find(key)].update(through.get(key, ()))
    for root, cells in groups.items():
        yield sorted(cells, key=repr), sorted(rows_of[root])


def _matrix(rows: list[int], cells: list[Key], constraints) -> np.ndarray:
    column = {cell: j for j, cell in enumerate(cells)}
    matrix = np.zeros((len(rows), len(cells)))
    for i, index in enumerate(rows):
        total, parts = constraints[index]
        if total in column:
            matrix[i, column[total]] += 1.0
        for part in parts:
            if part in column:
                matrix[i, column[part]] -= 1.0
    return matrix


def determined_cells(constraints: list[Constraint], unknown: set[Key]) -> set[Key]:
    """The ``unknown`` cells whose value follows from the known cells and the constraints."""
    constraints = [c for c in constraints if c[1]]
    through = _through(constraints)
    determined: set[Key] = set()
    with one_blas_thread():
        for cells, rows in _components(constraints, unknown, through):
            if not rows:
                continue
            singular_vectors = np.linalg.svd(_matrix(rows, cells, constraints))
            singular, vt = singular_vectors[1], singular_vectors[2]
            rank = int((singular > TOLERANCE * max(1.0, singular.max(initial=0.0))).sum())
            null = vt[rank:].T
            norms = np.linalg.norm(null, axis=1) if null.shape[1] else np.zeros(len(cells))
            determined.update(cell for j, cell in enumerate(cells) if norms[j] < TOLERANCE)
    return determined
