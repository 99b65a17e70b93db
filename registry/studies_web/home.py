"""The epidemiologist's start page: what to do next, recent jobs and lists, results to
approve and approved results by year (:func:`registry.services.study_overview`)."""

from __future__ import annotations

from typing import Any

from flask import g, render_template

from registry.auth.roles import roles
from registry.services import linkage
from registry.services.audit import commit_read
from registry.services.source_lists import LIST_STATE_LABELS
from registry.services.study_overview import study_overview
from registry.studies_web import EPI_ROLES, blueprint
from registry.studies_web.forms import METHOD_LABELS
from registry.studies_web.jobs import REFRESH_SECONDS


@blueprint.route("/")
@roles(*EPI_ROLES)
def home() -> Any:
    """Links to the upload, review, new-study and job pages, then the four blocks."""
    overview = study_overview(actor=g.user)
    waiting = any(not job.finished for job in overview.jobs)
    page = render_template(
        "studies/home.html",
        overview=overview,
        pending=len(linkage.pending_duplicates()),
        methods=METHOD_LABELS,
        list_states=LIST_STATE_LABELS,
        refresh=REFRESH_SECONDS if waiting else None,
    )
    commit_read()  # the audited read of the overview
    return page
