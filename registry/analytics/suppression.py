"""Primary and complementary cell suppression with protection intervals (docs/disclosure.md).

Public interface::

    Constraint = tuple[Key, tuple[Key, ...]]          # total == sum(parts)
    PROTECTION = 3                                    # the attacker's interval, at least
    suppress(values, constraints, published, *, threshold, forced=(), fixed=()) -> frozenset[Key]
        # the published cells to withhold; UnprotectableError if ``fixed`` leaves no way

Rules: a count from 1 to ``threshold - 1`` is *sensitive* and withheld (primary
suppression); zero is shown; ``forced`` cells (withheld in the previous generation of the
same table) are withheld too unless they are zero; ``fixed`` cells are known to the
attacker from elsewhere (never withheld, and no certificate may move them). Cells that are
never published (own counts of an org unit with children, hidden differences of nested
counts) are *hidden*.

The attacker knows every published cell and every constraint, and that a withheld cell is
at least 1 (zeros are shown) and a hidden cell at least 0; it cannot tell a sensitive cell
from a complementary one, so it has no upper bound. Goal: each withheld cell, and each
sensitive hidden cell, can take values at least :data:`PROTECTION` apart in the attacker's
feasible set (its linear-programming interval is at least that wide).

Method (Fischetti and Salazar-Gonzalez 2000; Hundepool et al. 2012, ch. 4): a worklist of
cells to protect. For a cell ``w`` whose proven range is too narrow, a linear programme
finds a change ``y`` of the true table with ``M y = 0`` and ``y_w = s``, every cell staying
within the attacker's bounds (withheld and published non-zero cells at least 1, hidden
cells at least 0, published zeros fixed), at the least cost ``(1 + value)|y_j|`` over the
published cells it moves, which are then withheld. Once they are, ``true + t y`` is a table
the attacker cannot rule out for every ``t`` in a range computed from the bounds: ``y`` is a
*certificate* that each cell it moves can take every value along it. The proven range of a
cell is the span of its certificates; the worklist runs until every cell to protect has a
range of at least :data:`PROTECTION`, including the complementary cells withheld on the
way. Withholding more only widens the attacker's feasible set, so a certificate stays valid
to the end. Totals are expensive (the cost grows with the value), so a national total is
withheld only when nothing cheaper protects a cell.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping

import highspy
import numpy as np
from scipy import sparse

Key = Hashable
Constraint = tuple[Key, tuple[Key, ...]]


class UnprotectableError(RuntimeError):
    """No change of the table within the attacker's bounds moves a cell to protect (only
    possible with ``fixed`` cells: a move up is otherwise always possible)."""


#: The width the attacker's interval of every withheld cell must reach.
PROTECTION = 3
#: Cost of moving a cell that is already unknown (small: keeps the certificates sparse).
UNKNOWN_COST = 0.01
#: Steps below this count as zero (the matrices hold 0, 1, -1).
TOLERANCE = 1e-7


def _first_solver_quietly() -> None:
    """HiGHS prints a banner on standard output when a process makes its first solver
    (before any option can turn output off); make that one with the output discarded, so
    that CLI output and the worker's log stay clean."""
    sys.stdout.flush()
    saved, sink = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(sink, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(sink)


_first_solver_quietly()


def suppress(
    values: Mapping[Key, int],
    constraints: Iterable[Constraint],
    published: Iterable[Key],
    *,
    threshold: int,
    forced: Iterable[Key] = (),
    fixed: Iterable[Key] = (),
) -> frozenset[Key]:
    """The published cells to withhold so that no withheld count can be narrowed below
    :data:`PROTECTION` (see the module docstring); :class:`UnprotectableError` when the
    ``fixed`` cells leave a cell no way to move."""
    constraints = [c for c in constraints if c[1]]
    published = set(published)
    sensitive = {k for k, v in values.items() if 1 <= v < threshold}
    withheld = {k for k in (sensitive | set(forced)) & published if values.get(k, 0) > 0}
    table = _Table(constraints, values, published, withheld, frozenset(fixed))
    pending = sorted(withheld | (sensitive - published), key=lambda k: (values[k], repr(k)))
    while pending:
        key = pending.pop(0)
        for cell in table.protect(key):
            pending.append(cell)
    return frozenset(table.withheld)


class _Table:
    """The whole table as a sparse constraint matrix, the cells withheld so far and the
    range of values the certificates prove for each cell."""

    def __init__(self, constraints, values, published: set, withheld: set, fixed) -> None:
        self.constraints = constraints
        self.through = _through(constraints)
        self.cells = sorted(self.through, key=repr)
        self.column = {cell: j for j, cell in enumerate(self.cells)}
        self.values = values
        self.published, self.withheld, self.fixed = published, withheld, fixed
        rows, cols, data = [], [], []
        for i, (total, parts) in enumerate(constraints):
            for cell, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
                rows.append(i)
                cols.append(self.column[cell])
                data.append(sign)
        shape = (len(constraints), len(self.cells))
        self.matrix = sparse.csc_matrix((data, (rows, cols)), shape=shape)
        self.low: dict[Key, float] = {}
        self.high: dict[Key, float] = {}
        self.model: highspy.Highs | None = None
        self.repriced: list[Key] = []  # withheld since the model last saw the costs

    def value(self, cell: Key) -> int:
        return self.values.get(cell, 0)

    def floor(self, cell: Key) -> int:
        """The least value the attacker allows a non-zero cell: 1 if it is or would be
        withheld (published), 0 if it is never published."""
        return 1 if cell in self.published else 0

    def width(self, cell: Key) -> float:
        value = self.value(cell)
        return self.high.get(cell, value) - self.low.get(cell, value)

    def protect(self, key: Key) -> list[Key]:
        """Widen ``key``'s proven range to :data:`PROTECTION`; the cells newly withheld."""
        if key not in self.column:
            return []  # in no constraint: nothing bounds it above
        added: list[Key] = []
        value = self.value(key)
        for direction in (1, -1):
            if self.width(key) >= PROTECTION - TOLERANCE:
                break
            low, high = self.low.get(key, value), self.high.get(key, value)
            if direction > 0:
                step = PROTECTION - (value - low)
            else:
                step = -min(value - self.floor(key), PROTECTION - (high - value))
            if abs(step) < TOLERANCE:
                continue
            change = self.certificate(key, step)
            if change is not None:
                added += self.record(change)
        if self.width(key) < PROTECTION - TOLERANCE:
            raise UnprotectableError(f"no certificate protects {key!r}")
        return added

    def certificate(self, key: Key, step: float) -> dict[Key, float] | None:
        """The cheapest change ``y`` of the table with ``y_key = step`` (see the module).

        One HiGHS model per table, ``y = p - n``, solved again for each cell with only the
        moved cell's bounds and the withheld cells' costs changed (each solve starts from
        the last basis). Moving a cell up is always possible (add people like one already
        in it), so only a move down can fail.
        """
        if self.model is None:
            self.model = self._build()
        h, size = self.model, len(self.cells)
        for cell in self.repriced:
            j = self.column[cell]
            h.changeColsCost(2, np.array([j, size + j], dtype=np.int32),
                             np.array([UNKNOWN_COST, UNKNOWN_COST]))  # fmt: skip
        self.repriced = []
        j = self.column[key]
        up, down = (step, 0.0) if step > 0 else (0.0, -step)
        h.changeColsBounds(2, np.array([j, size + j], dtype=np.int32), np.array([up, down]),
                           np.array([up, down]))  # fmt: skip
        h.run()
        solved = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        h.changeColsBounds(2, np.array([j, size + j], dtype=np.int32), np.zeros(2),
                           np.array([highspy.kHighsInf, self.room(key)]))  # fmt: skip
        if not solved:
            return None
        x = np.array(h.getSolution().col_value)
        y = x[:size] - x[size:]
        return {self.cells[k]: y[k] for k in np.flatnonzero(np.abs(y) > TOLERANCE)}

    def room(self, cell: Key) -> float:
        """How far the attacker allows ``cell`` to fall (0: a zero, or a fixed cell)."""
        value = self.value(cell)
        return value - self.floor(cell) if value > 0 and cell not in self.fixed else 0.0

    def _build(self) -> highspy.Highs:
        """The LP over ``p`` then ``n``: ``M p - M n = 0``, bounds and costs per cell."""
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        size = len(self.cells)
        cost, up, down = np.zeros(size), np.zeros(size), np.zeros(size)
        for j, cell in enumerate(self.cells):
            value = self.value(cell)
            if value <= 0 or cell in self.fixed:
                continue  # zeros and what the attacker knows from elsewhere stay put
            up[j], down[j] = highspy.kHighsInf, self.room(cell)
            known = cell in self.published and cell not in self.withheld
            cost[j] = 1.0 + value if known else UNKNOWN_COST
        h.addVars(2 * size, np.zeros(2 * size), np.concatenate([up, down]))
        h.changeColsCost(2 * size, np.arange(2 * size, dtype=np.int32),
                         np.concatenate([cost, cost]))  # fmt: skip
        both = sparse.hstack([self.matrix, -self.matrix]).tocsr()
        zeros = np.zeros(both.shape[0])
        h.addRows(both.shape[0], zeros, zeros, both.nnz, both.indptr[:-1].astype(np.int32),
                  both.indices.astype(np.int32), both.data)  # fmt: skip
        return h

    def record(self, change: dict[Key, float]) -> list[Key]:
        """Withhold the published cells ``change`` moves and widen the proven ranges of
        every cell along it by the full step range the bounds allow; the new cells."""
        added = sorted((c for c in change if c in self.published and c not in self.withheld),
                       key=repr)  # fmt: skip
        self.withheld.update(added)
        self.repriced += added
        forward, backward = np.inf, np.inf  # how far t may go up and down
        for cell, y in change.items():
            room = self.value(cell) - self.floor(cell)
            if y < 0:
                forward = min(forward, room / -y)
            else:
                backward = min(backward, room / y)
        for cell, y in change.items():
            value = self.value(cell)
            ends = (value + forward * y, value - backward * y)
            self.low[cell] = min(self.low.get(cell, value), *ends)
            self.high[cell] = max(self.high.get(cell, value), *ends)
        return added


def _through(constraints: list[Constraint]) -> dict[Key, list[int]]:
    through: dict[Key, list[int]] = defaultdict(list)
    for index, (total, parts) in enumerate(constraints):
        for key in (total, *parts):
            through[key].append(index)
    return through


def _cells(constraint: Constraint) -> tuple[Key, ...]:
    return (constraint[0], *constraint[1])
