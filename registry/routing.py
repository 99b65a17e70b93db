"""URL rules and converters.

Ids in URLs are whole numbers that fit the database's id columns: werkzeug's
``<int:...>`` accepts any number of digits, and an id beyond the range of the id columns
makes the database driver fail (a 500 that the schemathesis run found).
:class:`DatabaseIdConverter` replaces it (see :func:`registry.create_app`), so such a URL
is simply not found (404), like any unknown id. :class:`LazyBuilderRule` makes the app
faster to create.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import IntegerConverter, Map, Rule

#: The largest value of an ``INTEGER`` column on PostgreSQL (and the ids' type).
MAX_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """``<int:name>``: a non-negative whole number no larger than :data:`MAX_ID`."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class LazyBuilderRule(Rule):
    """A werkzeug rule that writes its URL-building functions when it first builds a URL.

    Werkzeug generates and compiles two Python functions per rule as each rule is added:
    about half the time of making the app (330 rules), paid by every worker, every
    ``flask`` command and every test, for rules most processes never build a URL for.
    Matching is unchanged; the functions written later are werkzeug's own.
    """

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, **values: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:  # two threads may both write it: the same function
                compiled = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            return compiled(**values)

        return build
