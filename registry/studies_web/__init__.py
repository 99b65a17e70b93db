"""The epidemiologist's pages: uploads, duplicate review, studies, jobs and results.

Only epidemiologists and administrators use them (:data:`EPI_ROLES`); they see client
codes and counts, never identifiers. Like the clinic forms, every view validates with a
schema, calls one service of :mod:`registry.services` and commits; on error it rolls back
and re-renders with the messages beside the fields. Plots are PNG images drawn on the
server (:mod:`registry.plots`), so the pages need no inline script; a page that waits for
a running job reloads itself with ``<meta http-equiv="refresh">``.
"""

from __future__ import annotations

from flask import Blueprint

from registry.models.users import ADMIN, EPIDEMIOLOGIST

blueprint = Blueprint("studies", __name__, url_prefix="/studies")

#: Who may use these pages.
EPI_ROLES = (EPIDEMIOLOGIST, ADMIN)

from registry.studies_web import (  # noqa: E402, F401  (registers the routes)
    common,
    duplicates,
    home,
    jobs,
    new,
    readable,
    uploads,
)
