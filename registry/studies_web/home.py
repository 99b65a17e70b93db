"""The epidemiologist's start page: what to do next, and the latest jobs and uploads."""

from __future__ import annotations

from typing import Any

from flask import g, render_template

from registry.auth.roles import roles
from registry.extensions import db
from registry.services import linkage, studies
from registry.studies_web import EPI_ROLES, blueprint
from registry.studies_web.common import uploads
from registry.studies_web.forms import METHOD_LABELS


@blueprint.route("/")
@roles(*EPI_ROLES)
def home() -> Any:
    """Links to the upload, review, new-study and job pages, with the latest of each."""
    page = render_template(
        "studies/home.html",
        jobs=studies.list_jobs(actor=g.user, limit=5),
        sources=uploads(limit=5),
        pending=len(linkage.pending_duplicates()),
        methods=METHOD_LABELS,
    )
    db.session.commit()  # the audited read of the job list
    return page
