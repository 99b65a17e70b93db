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

Complementary suppression repeats until no sensitive cell is *determined*: a cell is
determined exactly when its unit vector lies in the row space of the constraints
restricted to the unknown cells, i.e. when every vector of that matrix's null space is
zero at the cell. Each round adds, for every exposed cell, the smallest published
non-zero cell of a constraint through it. Every unknown cell is positive, so a null-space
direction through a cell can be followed a little both ways without a cell going negative:
an undetermined cell's feasible interval under non-negativity has positive width.
The loop ends because once every non-zero cell is unknown the true table itself lies in
the null space and determines nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping

import numpy as np
from scipy.linalg import null_space

Key = Hashable
Constraint = tuple[Key, tuple[Key, ...]]

#: Null-space rows shorter than this count as zero (the matrices hold 0, 1 and -1).
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
    through: dict[Key, list[int]] = defaultdict(list)
    for index, (total, parts) in enumerate(constraints):
        for key in (total, *parts):
            through[key].append(index)
    while True:
        exposed = sensitive & determined_cells(constraints, unknown, through=through)
        if not exposed:
            return frozenset(unknown & published)
        for key in sorted(exposed, key=repr):
            partner = _partner(key, values, constraints, published, unknown, through)
            if partner is None:  # every cell around is already unknown: look wider
                partner = _any_partner(values, published, unknown)
            if partner is not None:
                unknown.add(partner)


def _partner(key, values, constraints, published, unknown, through) -> Key | None:
    """The smallest published, known, non-zero cell sharing a constraint with ``key``."""
    candidates = {
        cell
        for index in through[key]
        for cell in (constraints[index][0], *constraints[index][1])
        if cell in published and cell not in unknown and values.get(cell, 0) > 0
    }
    return min(candidates, key=lambda cell: (values[cell], repr(cell)), default=None)


def _any_partner(values, published, unknown) -> Key | None:
    candidates = [k for k in published if k not in unknown and values.get(k, 0) > 0]
    return min(candidates, key=lambda cell: (values[cell], repr(cell)), default=None)


def determined_cells(
    constraints: list[Constraint],
    unknown: set[Key],
    *,
    through: Mapping[Key, list[int]] | None = None,
) -> set[Key]:
    """The ``unknown`` cells whose value follows from the known cells and the constraints.

    Works one connected component of unknown cells at a time (cells linked by sharing a
    constraint), which keeps the matrices small.
    """
    if through is None:
        through = defaultdict(list)
        for index, (total, parts) in enumerate(constraints):
            for key in (total, *parts):
                through[key].append(index)
    parent = {key: key for key in unknown}

    def find(key: Key) -> Key:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    active: set[int] = set()
    for key in unknown:
        for index in through.get(key, ()):
            active.add(index)
            total, parts = constraints[index]
            for other in (total, *parts):
                if other in parent and other != key:
                    parent[find(other)] = find(key)
    components: dict[Key, list[Key]] = defaultdict(list)
    for key in unknown:
        components[find(key)].append(key)
    component_rows: dict[Key, list[int]] = defaultdict(list)
    for index in active:
        total, parts = constraints[index]
        member = next(k for k in (total, *parts) if k in parent)
        component_rows[find(member)].append(index)

    determined: set[Key] = set()
    for root, cells in components.items():
        rows = component_rows.get(root, [])
        if not rows:
            continue
        column = {cell: j for j, cell in enumerate(cells)}
        matrix = np.zeros((len(rows), len(cells)))
        for i, index in enumerate(rows):
            total, parts = constraints[index]
            if total in column:
                matrix[i, column[total]] += 1.0
            for part in parts:
                if part in column:
                    matrix[i, column[part]] -= 1.0
        basis = null_space(matrix)
        if basis.shape[1] == 0:
            determined.update(cells)
            continue
        norms = np.linalg.norm(basis, axis=1)
        determined.update(cell for cell, j in column.items() if norms[j] < TOLERANCE)
    return determined
