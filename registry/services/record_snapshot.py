"""A record's values as JSON keeps them, for amendments and the audit trail.

Public interface::

    plain(value) -> JSON-ready value      # dates in ISO form, doses as exact decimal text
    snapshot(record, names=None) -> dict  # the record's column values (or just ``names``)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import inspect


def plain(value: Any) -> Any:
    """``value`` as JSON keeps it: dates in ISO form, doses as exact decimal text."""
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal
        return format(value.normalize(), "f")
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def snapshot(record: Any, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The record's column values (or just ``names``), as JSON keeps them."""
    columns = names or tuple(c.key for c in inspect(record).mapper.column_attrs)
    return {name: plain(getattr(record, name)) for name in columns}
