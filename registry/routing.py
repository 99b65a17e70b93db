"""URL converters: ids in URLs are whole numbers that fit the database's id columns.

Werkzeug's ``<int:...>`` accepts any number of digits, and an id beyond the range of
the id columns makes the database driver fail (a 500 that the schemathesis run found).
:class:`DatabaseIdConverter` replaces it (see :func:`registry.create_app`), so such a URL
is simply not found (404), like any unknown id.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

#: The largest value of an ``INTEGER`` column on PostgreSQL (and the ids' type).
MAX_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """``<int:name>``: a non-negative whole number no larger than :data:`MAX_ID`."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
