"""Landing pages: where each role starts."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, url_for

from registry.auth.roles import signed_in
from registry.models.users import CLINIC_STAFF, MINISTRY
from registry.web import blueprint


@blueprint.route("/")
@signed_in
def index() -> Any:
    """Clinic staff start on their centre's dashboard, ministry users on the indicators."""
    if g.user.role == CLINIC_STAFF:
        return redirect(url_for("web.dashboard"))
    if g.user.role == MINISTRY:
        return redirect(url_for("ministry.dashboard"))
    return render_template("web/home.html")
