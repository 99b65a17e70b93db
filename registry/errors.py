"""Error handlers: HTML pages for the web blueprints, problem details (RFC 9457) for the API."""

from __future__ import annotations

from flask import Flask


def init_error_handlers(app: Flask) -> None:
    """Register the error handlers on ``app``."""
