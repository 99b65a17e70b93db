"""Today's dosing list: one row and one action per client on OST at the user's centre."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from registry.auth.roles import roles
from registry.extensions import db
from registry.models.users import CLINIC_STAFF
from registry.services import listings
from registry.services.audit import commit_read
from registry.services.dosing_day import dose_from_list, dosing_list
from registry.services.errors import ServiceError
from registry.web import blueprint
from registry.web.forms import FORM_CONTROLS, flatten_errors, unknown_fields_message

#: What a row of the list posts: the button's kind and the take-home days.
ROW_INPUTS = frozenset({"kind", "take_home_days"})


def render_list(errors: dict[int, list[str]] | None = None) -> Any:
    """The list page, with ``errors`` beside the rows they belong to (422 if any)."""
    rows = dosing_list(g.user, g.user.centre_id, date.today())
    page = render_template("web/dosing_today.html", rows=rows, row_errors=errors or {})
    commit_read()  # the audit "read"
    return page, 422 if errors else 200


@blueprint.route("/ost/today")
@roles(CLINIC_STAFF)
def dosing_today() -> Any:
    """Everyone on OST here with today's prescribed dose and whether they were dosed."""
    return render_list()


@blueprint.route("/ost/today/<int:enrolment_id>", methods=["POST"])
@roles(CLINIC_STAFF)
def dose_from_today(enrolment_id: int) -> Any:
    """Record the row's action for today (observed, take-home or missed); nothing typed
    but the take-home days. Errors come back beside the row and nothing is saved."""
    enrolment = listings.enrolment_at_centre(g.user, enrolment_id, g.user.centre_id)
    if enrolment is None or not enrolment.is_open:
        db.session.rollback()
        abort(404)
    unknown = [name for name in request.form if name not in ROW_INPUTS | FORM_CONTROLS]
    if unknown:
        db.session.rollback()
        return render_list({enrolment_id: [str(unknown_fields_message(unknown))]})
    kind = request.form.get("kind", "").strip()
    days = request.form.get("take_home_days", "").strip() or None
    try:
        dose_from_list(g.user, enrolment, kind, days, date.today())
    except (ValidationError, ServiceError) as error:
        db.session.rollback()
        messages = flatten_errors(error.messages)
        return render_list({enrolment_id: [m for texts in messages.values() for m in texts]})
    db.session.commit()
    flash(_("The dose was recorded."), "info")
    return redirect(url_for("web.dosing_today") + f"#row-{enrolment_id}", code=303)
