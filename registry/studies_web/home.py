"""The epidemiologist's start page: what to do next, and the latest jobs and uploads."""

from __future__ import annotations

from typing import Any

from flask import render_template

from registry.auth.roles import roles
from registry.studies_web import EPI_ROLES, blueprint


@blueprint.route("/")
@roles(*EPI_ROLES)
def home() -> Any:
    """Links to the upload, review, new-study and job pages."""
    return render_template("studies/home.html")
