"""Canonical tables: every org unit x sex x age group (or category), all margins, suppressed once.

Public interface::

    Geography.load() -> Geography             # the org-unit tree (a small table)
    CanonicalTable                            # .cell(table, unit_id, sex, x) -> int | None
    build_table(family, geography, leaf, *, threshold, previous=(), previous_digest=None)
        # previous: the cells the last generation withheld (they stay withheld unless zero);
        # previous_digest equal to this table's digest: the same table, published as before
    table_digest(family, geography, leaf, *, threshold) -> str
        # what the suppressed table is a function of: counts, tree, threshold and the code
    canonical_table(family, period, geography, leaf, *, threshold) -> CanonicalTable
        # build_table, memoised on the aggregated counts (same counts -> same table)
    population_cube(geography, rows) -> dict[(unit_id, sex, age), int]

A cell key is ``(table, unit_id, sex, x)`` with ``sex`` in M/F/T and ``x`` an age group,
a category option or ``T`` (total). The table depends only on the family, the period and
the data, never on the query: every answer, and so every pair of answers, shows a part of
the same consistently suppressed table. Two kinds of cells are never published and are
protected as well: the *own* counts of an org unit that has children (people at centres
attached to the unit itself) and the *difference* of two nested counts (entrants who are
not first-time entrants, say), which would otherwise be one subtraction away.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import get_locale
from sqlalchemy import select

from registry.analytics.indicators import (
    AGE_OPTIONS,
    CATEGORY_OPTIONS,
    FAMILIES,
    SEX_OPTIONS,
    TOTAL,
    Family,
)
from registry.analytics.suppression import Constraint, suppress
from registry.extensions import db
from registry.models import OrgUnit

SEXES = (*SEX_OPTIONS, TOTAL)


@dataclass(frozen=True)
class Unit:
    """An org unit as analytics needs it."""

    id: int
    code: str
    name: str
    level: int
    parent_id: int | None
    path: str
    name_ru: str | None = None

    @property
    def display_name(self) -> str:
        """The name in the request's language (the Russian name in Russian, if it has one)."""
        russian = str(get_locale() or "en") == "ru"
        return self.name_ru if russian and self.name_ru else self.name


@dataclass
class Geography:
    """The org-unit tree: units by id and code, children, ancestors."""

    units: dict[int, Unit]
    children: dict[int, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.children = defaultdict(list)
        for unit in sorted(self.units.values(), key=lambda u: u.code):
            if unit.parent_id in self.units:
                self.children[unit.parent_id].append(unit.id)
        self.by_code = {unit.code: unit for unit in self.units.values()}

    @classmethod
    def load(cls) -> Geography:
        """Read every org unit (a few hundred rows at most)."""
        rows = db.session.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.level,
                                         OrgUnit.parent_id, OrgUnit.path,
                                         OrgUnit.name_ru))  # fmt: skip
        return cls({row.id: Unit(*row) for row in rows})

    def ancestors(self, unit_id: int) -> list[int]:
        """The unit and every unit above it."""
        chain = []
        current: int | None = unit_id
        while current is not None and current in self.units:
            chain.append(current)
            current = self.units[current].parent_id
        return chain

    def signature(self) -> tuple:
        """What the table's shape depends on (for the memo)."""
        return tuple(sorted((u.id, u.parent_id) for u in self.units.values()))


@dataclass(frozen=True)
class CanonicalTable:
    """A family's suppressed table for one period."""

    values: dict[Any, int]
    suppressed: frozenset
    digest: str | None = None

    def cell(self, table: str, unit_id: int, sex: str, x: str) -> int | None:
        """The published value, ``None`` if suppressed (0 for a cell with no one)."""
        key = (table, unit_id, sex, x)
        if key in self.suppressed:
            return None
        return self.values.get(key, 0)


def _options(family: Family, table: str) -> tuple[str, ...]:
    category = family.categories.get(table)
    return CATEGORY_OPTIONS[category] if category else AGE_OPTIONS


def table_cells(family: Family, geography: Geography, leaf: Counter):
    """Values, constraints and published keys of ``family``'s canonical table."""
    values: dict[Any, int] = defaultdict(int)
    own: dict[Any, int] = defaultdict(int)
    for (table, unit_id, sex, x), n in leaf.items():
        if unit_id not in geography.units:
            continue
        for ancestor in geography.ancestors(unit_id):
            values[(table, ancestor, sex, x)] += n
        if geography.children.get(unit_id):
            own[("own", table, unit_id, sex, x)] += n
    main = family.tables[0]
    constraints: list[Constraint] = []
    published = set()
    for table in (*family.tables, *family.categories):
        options = _options(family, table)
        for unit_id in geography.units:
            children = geography.children.get(unit_id, [])
            for x in (*options, TOTAL):
                for sex in SEXES:
                    key = (table, unit_id, sex, x)
                    if x == TOTAL and table in family.categories:
                        continue  # the category total is the main table's all-ages cell
                    published.add(key)
            for sex in SEX_OPTIONS:
                for x in options:
                    values[(table, unit_id, TOTAL, x)] += values.get((table, unit_id, sex, x), 0)
                    if children:
                        own_key = ("own", table, unit_id, sex, x)
                        parts = [(table, c, sex, x) for c in children]
                        if own.get(own_key):
                            values[own_key] = own[own_key]
                            parts.append(own_key)
                        constraints.append(((table, unit_id, sex, x), tuple(parts)))
            total_table = main if table in family.categories else table
            for sex in SEXES:
                if table not in family.categories:
                    values[(table, unit_id, sex, TOTAL)] = sum(
                        values.get((table, unit_id, sex, x), 0) for x in options
                    )
                parts = tuple((table, unit_id, sex, x) for x in options)
                constraints.append(((total_table, unit_id, sex, TOTAL), parts))
            for x in options:
                parts = tuple((table, unit_id, sex, x) for sex in SEX_OPTIONS)
                constraints.append(((table, unit_id, TOTAL, x), parts))
    for outer, inner in family.nested:
        for unit_id in geography.units:
            for sex in SEX_OPTIONS:
                for x in AGE_OPTIONS:
                    hidden = ("difference", outer, inner, unit_id, sex, x)
                    difference = values.get((outer, unit_id, sex, x), 0) - values.get(
                        (inner, unit_id, sex, x), 0
                    )
                    parts: tuple = ((inner, unit_id, sex, x),)
                    if difference:
                        values[hidden] = difference
                        parts += (hidden,)
                    constraints.append(((outer, unit_id, sex, x), parts))
    return dict(values), constraints, published


def build_table(
    family: Family,
    geography: Geography,
    leaf: Counter,
    *,
    threshold: int,
    previous: Iterable = (),
    previous_digest: str | None = None,
) -> CanonicalTable:
    """Build and suppress ``family``'s canonical table from the leaf counts; ``previous``
    are the cells the last generation of the same table withheld: they stay withheld
    (unless now zero), since publishing one would give its earlier value to within the
    change of the table (a 9 that became 10, a complementary 27 that is still 27; see
    docs/disclosure.md, "Differencing").

    When ``previous_digest`` is this table's :func:`table_digest` (same counts, tree,
    threshold and code), the last generation's withheld cells are kept as they are: the
    publication is then the one already protected. Suppressing again, with those cells
    forced, may withhold more (the greedy search proves each cell's range along another
    path), and a table that did not change would lose figures at every refresh.
    """
    digest = table_digest(family, geography, leaf, threshold=threshold)
    values, constraints, published = table_cells(family, geography, leaf)
    if previous_digest == digest:
        return CanonicalTable(values, frozenset(previous), digest)
    suppressed = suppress(values, constraints, published, threshold=threshold, forced=previous)
    return CanonicalTable(values, suppressed, digest)


def table_digest(family: Family, geography: Geography, leaf: Counter, *, threshold: int) -> str:
    """SHA-256 of everything a suppressed table is a function of."""
    content = (_code_fingerprint(), family.name, threshold, geography.signature(),
               sorted(leaf.items(), key=repr))  # fmt: skip
    return hashlib.sha256(repr(content).encode()).hexdigest()


@functools.cache
def _code_fingerprint() -> str:
    """The source of the counting rules and the suppression: after a change of either,
    tables are suppressed again rather than published as before."""
    from registry.analytics import indicators, suppression

    source = hashlib.sha256()
    for module in (indicators, suppression, sys.modules[__name__]):
        source.update(Path(module.__file__).read_bytes())
    return source.hexdigest()


_MEMO: dict[tuple, CanonicalTable] = {}
_MEMO_SIZE = 512


def canonical_table(
    family: str, geography: Geography, leaf: Counter, *, threshold: int
) -> CanonicalTable:
    """:func:`build_table`, memoised on the counts themselves (suppression is a pure function
    of the aggregated counts, so a repeated answer costs the SQL only)."""
    digest = hashlib.sha256(repr(sorted(leaf.items(), key=repr)).encode()).hexdigest()
    key = (family, threshold, geography.signature(), digest)
    table = _MEMO.get(key)
    if table is None:
        table = build_table(FAMILIES[family], geography, leaf, threshold=threshold)
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO.copy()), None), None)  # another thread may evict too
        _MEMO[key] = table
    return table


def population_cube(geography: Geography, rows: dict[tuple[int, str, str], int]):
    """Population of every unit x sex x age (T margins), own figures preferred over sums."""
    cube: dict[tuple[int, str, str], int] = {}
    for unit_id in sorted(geography.units, key=lambda u: -geography.units[u].level):
        children = geography.children.get(unit_id, [])
        for sex in SEX_OPTIONS:
            for group in AGE_OPTIONS:
                own = rows.get((unit_id, sex, group))
                if own is None:
                    own = sum(cube.get((c, sex, group), 0) for c in children)
                cube[(unit_id, sex, group)] = own
    for unit_id in geography.units:
        for group in AGE_OPTIONS:
            cube[(unit_id, TOTAL, group)] = sum(cube[(unit_id, s, group)] for s in SEX_OPTIONS)
        for sex in SEXES:
            cube[(unit_id, sex, TOTAL)] = sum(cube[(unit_id, sex, g)] for g in AGE_OPTIONS)
    return cube
