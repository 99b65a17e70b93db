"""Flask commands: ``flask users ...``, ``flask demo ...``."""

from __future__ import annotations

from flask import Flask


def init_commands(app: Flask) -> None:
    """Register the command groups on ``app``."""
