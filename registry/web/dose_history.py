"""An OST enrolment's dose history, page by page (the client page shows the latest page)."""

from __future__ import annotations

from typing import Any

from flask import abort, g, render_template, request

from registry.auth.roles import roles
from registry.extensions import db
from registry.models.users import CLINIC_STAFF
from registry.services import listings
from registry.services.amendments import history
from registry.services.audit import commit_read
from registry.web import blueprint


@blueprint.route("/ost/<int:enrolment_id>/doses")
@roles(CLINIC_STAFF)
def dose_history(enrolment_id: int) -> Any:
    """Every dose of an enrolment at this centre, latest first, with the controls to
    correct or void each (404 for another centre's enrolment or a page past the last)."""
    enrolment = listings.enrolment_at_centre(g.user, enrolment_id, g.user.centre_id)
    page = request.args.get("page", 1, type=int)
    doses = listings.dose_page(enrolment.id, page) if enrolment is not None else None
    if doses is None or not 1 <= page <= doses.pages:
        db.session.rollback()
        abort(404)
    amended = history(enrolment.client_id, enrolment.centre_id)
    html = render_template("web/dose_history.html", enrolment=enrolment, doses=doses,
                           amended=amended)  # fmt: skip
    commit_read()  # the audit "read" of the enrolment
    return html
