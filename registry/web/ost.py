"""OST forms: enrolment of a client of this centre, and the daily dose visit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from registry.auth.roles import roles
from registry.extensions import db
from registry.models import OstEnrolment
from registry.models.users import CLINIC_STAFF
from registry.schemas import DoseSchema, OstEnrolmentSchema
from registry.services import listings
from registry.services.errors import ServiceError
from registry.services.ost import enrol_client
from registry.services.ost import record_dose as record_dose_visit
from registry.web import blueprint
from registry.web.forms import FormState, errors_state, load_form


def usual_dose(enrolment: OstEnrolment) -> dict[str, str]:
    """Today's visit as usually recorded: observed, at the current prescribed dose."""
    values = {"dose_date": date.today().isoformat(), "kind": "observed"}
    given = [d.dose_mg for d in enrolment.doses if d.kind in ("observed", "take_home")]
    prescribed = [c.dose_mg for c in enrolment.dose_changes]
    latest = prescribed[-1] if prescribed else (given[-1] if given else None)
    if latest is not None:
        values["dose_mg"] = format(Decimal(latest).normalize(), "f")
    return values


@blueprint.route("/clients/<int:client_id>/ost/new", methods=["GET", "POST"])
@roles(CLINIC_STAFF)
def enrol_ost(client_id: int) -> Any:
    """Enrol a client who has records at this centre on OST (404 otherwise)."""
    client = listings.client_at_centre(g.user, client_id, g.user.centre_id)
    if client is None:
        db.session.rollback()
        abort(404)
    form = FormState()
    if request.method == "POST":
        data, form = load_form(OstEnrolmentSchema(), request.form)
        if data is not None:
            try:
                enrol_client(client, data, actor=g.user, centre=g.user.centre)
            except (ValidationError, ServiceError) as error:
                form = errors_state(error, form.values)
            else:
                db.session.commit()
                flash(_("The client was enrolled on OST."), "info")
                return redirect(url_for("web.client", client_id=client_id))
        db.session.rollback()
        client = listings.client_at_centre(g.user, client_id, g.user.centre_id)
    page = render_template(
        "web/ost_enrol.html",
        form=form,
        client=client,
        episodes=listings.open_episode_choices(client_id, g.user.centre_id),
        centres=listings.other_centre_choices(g.user.centre_id),
    )
    db.session.commit()  # the audit "read" of the client
    return page, 422 if form.errors else 200


@blueprint.route("/ost/<int:enrolment_id>/doses/new", methods=["GET", "POST"])
@roles(CLINIC_STAFF)
def record_dose(enrolment_id: int) -> Any:
    """Record one day's dose of an open enrolment at this centre (404 otherwise)."""
    enrolment = listings.enrolment_at_centre(g.user, enrolment_id, g.user.centre_id)
    if enrolment is None:
        db.session.rollback()
        abort(404)
    form = FormState(values=usual_dose(enrolment))
    if request.method == "POST":
        data, form = load_form(DoseSchema(), request.form)
        if data is not None:
            try:
                record_dose_visit(enrolment, data, actor=g.user)
            except (ValidationError, ServiceError) as error:
                form = errors_state(error, form.values)
            else:
                db.session.commit()
                flash(_("The dose was recorded."), "info")
                return redirect(url_for("web.dashboard"))
        db.session.rollback()
        enrolment = listings.enrolment_at_centre(g.user, enrolment_id, g.user.centre_id)
    recent = list(reversed(enrolment.doses[-7:]))
    page = render_template("web/dose.html", form=form, enrolment=enrolment, recent=recent)
    db.session.commit()
    return page, 422 if form.errors else 200
