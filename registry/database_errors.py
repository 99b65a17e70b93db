"""Database errors carry no record data, so no log or stored error holds any.

Two parts of a database error repeat values of the registry's records:

* the statement's parameters (``[parameters: ('<client code>', 'F', 1987, ...)]``):
  hidden by ``hide_parameters=True``, which :func:`registry.config.load_settings` adds to
  the engine options in every environment;
* PostgreSQL's ``DETAIL`` line, which the server sends with a constraint violation
  (``Key (code)=(<client code>) already exists.``): :func:`hide_error_details` removes it
  from the driver's error and from SQLAlchemy's, before either is raised or logged. The
  primary message (which constraint failed) stays.

Public interface::

    hide_error_details(app) -> None      # called by create_app (register_extensions)
    HIDDEN_DETAIL                        # what replaces the DETAIL text
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

HIDDEN_DETAIL = "[detail hidden: it may hold record data]"


def hide_error_details(app: Flask) -> None:
    """Install :func:`_drop_detail` on every engine of ``app`` (after ``db.init_app``)."""
    from registry.extensions import db

    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        event.listen(engine, "handle_error", _drop_detail)


def _drop_detail(context: Any) -> None:
    """The ``handle_error`` listener: replace the DETAIL text in both errors' messages."""
    original = context.original_exception
    detail = getattr(getattr(original, "diag", None), "message_detail", None)
    if not detail:
        return
    for error in (original, context.sqlalchemy_exception):
        if error is not None:
            error.args = tuple(
                arg.replace(detail, HIDDEN_DETAIL) if isinstance(arg, str) else arg
                for arg in error.args
            )
