"""The stored analytics tables: writing a generation, finding and reading its tables.

Public interface::

    Generation(id, finished_at, threshold)        # the newest generation, as a request sees it
    current_generation() -> Generation | None
    latest_generation() -> AnalyticsGeneration | None   # the same, as the stored row
    changes_after(change_id) -> int               # data changes recorded since
    newest_change() -> int
    stored_tables(generation, family, ends) -> dict[date, CanonicalTable]
        # the family's stored tables ending on those days (missing days are left out)
    withheld_cells(generation_id) -> dict[(family, period_end), frozenset]
    table_digests(generation_id) -> dict[(family, period_end), str]   # tables.table_digest
        # the cells a generation withheld (the next refresh keeps them withheld)
    write_generation(generation: AnalyticsGeneration, tables) -> None
        # tables: {(family, period_end): CanonicalTable}; drops all but the previous one

A stored table is read once per process and kept (it never changes: a refresh writes a
new generation with new ids), so a request that finds its tables costs two small
queries. Only published cells are stored, zeros left out, withheld cells as NULL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select

from registry.analytics.tables import CanonicalTable
from registry.extensions import db
from registry.models import AnalyticsCell, AnalyticsChange, AnalyticsGeneration, AnalyticsTable

_LOADED: dict[tuple, CanonicalTable] = {}
_LOADED_SIZE = 1024
#: rows per INSERT statement when writing cells
_BATCH = 5000


@dataclass(frozen=True)
class Generation:
    """The newest generation: its id, when it finished (UTC) and its threshold."""

    id: int
    finished_at: datetime
    threshold: int


def as_utc(moment: datetime) -> datetime:
    """SQLite gives back naive times; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def current_generation() -> Generation | None:
    """The newest generation of analytics tables, if there is one."""
    row = latest_generation()
    return Generation(row.id, as_utc(row.finished_at), row.threshold) if row else None


def stored_tables(generation: Generation, family: str, ends: Iterable[date]) -> dict[date, Any]:
    """``{period_end: CanonicalTable}`` of ``family`` in ``generation`` for the days given."""
    wanted = set(ends)
    rows = db.session.execute(
        select(AnalyticsTable.id, AnalyticsTable.period_end).where(
            AnalyticsTable.generation_id == generation.id, AnalyticsTable.family == family
        )
    ).all()
    found = {row.period_end: row.id for row in rows if row.period_end in wanted}
    url = db.engine.url.render_as_string(hide_password=True)
    key = (url, generation.id, generation.finished_at)
    missing = [table_id for table_id in found.values() if (*key, table_id) not in _LOADED]
    if missing:
        _load(key, missing)
    return {end: _LOADED[(*key, table_id)] for end, table_id in found.items()}


def withheld_cells(generation_id: int) -> dict[tuple[str, date], frozenset]:
    """``{(family, period_end): cells}`` that ``generation_id`` withheld (stored as NULL)."""
    c, t = AnalyticsCell, AnalyticsTable
    rows = db.session.execute(
        select(t.family, t.period_end, c.indicator, c.org_unit_id, c.sex, c.x)
        .join(t, t.id == c.table_id)
        .where(t.generation_id == generation_id, c.value.is_(None))
    )
    cells: dict[tuple[str, date], set] = {}
    for family, end, *cell in rows:
        cells.setdefault((family, end), set()).add(tuple(cell))
    return {key: frozenset(found) for key, found in cells.items()}


def table_digests(generation_id: int) -> dict[tuple[str, date], str]:
    """``{(family, period_end): digest}`` of ``generation_id``'s tables that have one."""
    t = AnalyticsTable
    rows = db.session.execute(
        select(t.family, t.period_end, t.counts_digest).where(
            t.generation_id == generation_id, t.counts_digest.is_not(None)
        )
    )
    return {(family, end): digest for family, end, digest in rows}


def _load(key: tuple, table_ids: list[int]) -> None:
    values: dict[int, dict] = {table_id: {} for table_id in table_ids}
    withheld: dict[int, set] = {table_id: set() for table_id in table_ids}
    c = AnalyticsCell
    rows = db.session.execute(
        select(c.table_id, c.indicator, c.org_unit_id, c.sex, c.x, c.value).where(
            c.table_id.in_(table_ids)
        )
    )
    for table_id, indicator, unit_id, sex, x, value in rows:
        cell = (indicator, unit_id, sex, x)
        if value is None:
            withheld[table_id].add(cell)
        else:
            values[table_id][cell] = value
    for table_id in table_ids:
        if len(_LOADED) >= _LOADED_SIZE:
            _LOADED.pop(next(iter(_LOADED.copy()), None), None)  # another thread may evict too
        _LOADED[(*key, table_id)] = CanonicalTable(values[table_id], frozenset(withheld[table_id]))


def _cell_rows(table_id: int, table: CanonicalTable):
    """The published cells that are not zero (hidden cells have longer keys)."""
    for cell, value in table.values.items():
        if len(cell) == 4 and (value or cell in table.suppressed):
            indicator, unit_id, sex, x = cell
            shown = None if cell in table.suppressed else value
            yield {"table_id": table_id, "indicator": indicator, "org_unit_id": unit_id,
                   "sex": sex, "x": x, "value": shown}  # fmt: skip


def write_generation(
    generation: AnalyticsGeneration, tables: Mapping[tuple[str, date], CanonicalTable]
) -> None:
    """Store ``generation`` and its tables; drop the generations before the previous one
    (no commit)."""
    session = db.session
    session.add(generation)
    session.flush()
    ids = {}
    for family, end in sorted(tables):
        ids[(family, end)] = session.execute(
            insert(AnalyticsTable)
            .values(
                generation_id=generation.id,
                family=family,
                period_end=end,
                counts_digest=tables[(family, end)].digest,
            )
            .returning(AnalyticsTable.id)
        ).scalar_one()
    batch: list[dict] = []
    for key, table in tables.items():
        for row in _cell_rows(ids[key], table):
            batch.append(row)
            if len(batch) >= _BATCH:
                session.execute(insert(AnalyticsCell), batch)
                batch = []
    if batch:
        session.execute(insert(AnalyticsCell), batch)
    # the previous generation stays: a request that found it just before this commit is
    # still reading its cells (each statement sees the newest commit)
    previous = session.scalar(
        select(func.max(AnalyticsGeneration.id)).where(AnalyticsGeneration.id < generation.id)
    )
    if previous is not None:
        older = select(AnalyticsTable.id).where(AnalyticsTable.generation_id < previous)
        session.execute(delete(AnalyticsCell).where(AnalyticsCell.table_id.in_(older)))
        session.execute(delete(AnalyticsTable).where(AnalyticsTable.generation_id < previous))
        session.execute(delete(AnalyticsGeneration).where(AnalyticsGeneration.id < previous))
    # keep the newest covered change: SQLite would otherwise hand out its id again
    session.execute(delete(AnalyticsChange).where(AnalyticsChange.id < generation.covers_change_id))


def latest_generation() -> AnalyticsGeneration | None:
    """The newest generation as a row (with what it covers and how long it took)."""
    return db.session.scalar(
        select(AnalyticsGeneration).order_by(AnalyticsGeneration.id.desc()).limit(1)
    )


def changes_after(change_id: int) -> int:
    """How many data changes were recorded after ``change_id``."""
    return db.session.scalar(select(func.count()).where(AnalyticsChange.id > change_id))


def newest_change() -> int:
    """The id of the newest recorded change (0 when none)."""
    return db.session.scalar(select(func.coalesce(func.max(AnalyticsChange.id), 0)))
