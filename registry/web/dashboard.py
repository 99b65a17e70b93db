"""The centre's dashboard and the client page (read-only, audited)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, g, render_template

from registry.auth.roles import roles
from registry.extensions import db
from registry.models.users import CLINIC_STAFF
from registry.services import listings
from registry.services.audit import commit_read
from registry.services.reminders import centre_reminders
from registry.web import blueprint


@blueprint.route("/dashboard")
@roles(CLINIC_STAFF)
def dashboard() -> Any:
    """Recent admissions and current OST clients of the user's centre."""
    admissions = listings.recent_admissions(g.user, g.user.centre_id)
    ost_rows = listings.current_ost_clients(g.user, g.user.centre_id)
    reminders = centre_reminders(g.user, g.user.centre_id, date.today())
    page = render_template(
        "web/dashboard.html", admissions=admissions, ost_rows=ost_rows, reminders=reminders
    )
    commit_read()  # the audit "read" events
    return page


@blueprint.route("/clients/<int:client_id>")
@roles(CLINIC_STAFF)
def client(client_id: int) -> Any:
    """One client's episodes, OST enrolments and tests at this centre (404 elsewhere)."""
    records = listings.client_records(g.user, client_id, g.user.centre_id)
    if records is None:
        db.session.rollback()
        abort(404)
    page = render_template("web/client.html", records=records)
    commit_read()
    return page
