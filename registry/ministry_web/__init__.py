"""The ministry dashboard: aggregate indicators of one year, tables and plots, read-only.

For ministry users (who start here), epidemiologists and administrators. Every number
comes from the analytics service (:mod:`registry.analytics`) with its disclosure
control, through :mod:`registry.ministry_web.panels`; plots are PNG images drawn on the
server (:mod:`registry.ministry_web.charts`), so the page needs no script. Each panel
links to the same figures as CSV from the analytics API. Every query is audited.
"""

from __future__ import annotations

from flask import Blueprint

from registry.models.users import ADMIN, EPIDEMIOLOGIST, MINISTRY

blueprint = Blueprint("ministry", __name__, url_prefix="/ministry")

#: Who may use these pages.
MINISTRY_ROLES = (MINISTRY, EPIDEMIOLOGIST, ADMIN)

from registry.ministry_web import views  # noqa: E402, F401  (registers the routes)
