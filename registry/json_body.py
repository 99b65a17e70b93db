"""Reading JSON request bodies: what the parser accepts but no database can store is refused.

Public interface::

    loads(data: str | bytes) -> Any        # json.loads, or InvalidJson (a ValueError)
    StrictJSONProvider                      # Flask's JSON provider with this ``loads``
    InvalidJson                             # json.JSONDecodeError with a translated message

Python's ``json`` accepts two bodies that then fail far from the parser, as a server
error: a lone surrogate (``"\\ud800"`` is valid JSON syntax, but such a string cannot be
encoded as UTF-8, so the database driver fails on it), and arrays nested thousands deep
(the parser itself overflows with ``RecursionError``, which is not a ``ValueError``).
Both become :class:`InvalidJson`, which Flask (``request.get_json``) and the API's
argument parser (:class:`registry.api.ProblemParser`) answer with 400 problem details.
"""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l

#: The problem detail of a refused body (no part of the body is ever repeated).
INVALID_JSON = _l(
    "The request body is not valid JSON, is nested too deeply, or holds text that is not "
    "Unicode (a lone surrogate such as \\ud800)."
)


class InvalidJson(json.JSONDecodeError):
    """A body :func:`loads` refuses; a ``ValueError`` like every JSON syntax error."""

    def __init__(self, reason: str) -> None:
        # a non-empty document: webargs reads an error on an empty one as "no body"
        super().__init__(reason, "request body", 0)


def loads(data: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` that refuses lone surrogates and too-deep nesting (:class:`InvalidJson`)."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise InvalidJson("nested too deeply") from None
    if _has_lone_surrogate(value):
        raise InvalidJson("lone surrogate in a string")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    """True if any string (key or value) in the parsed ``value`` cannot be UTF-8 encoded.

    Walks with a stack, not by recursion: the value may be nested as deep as the parser
    allowed.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's default JSON provider, reading bodies with :func:`loads`."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse ``s`` as :func:`loads` does."""
        return loads(s, **kwargs)
