"""OST forms: enrolment of a client of this centre, dose visit, dose change and exit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema
from sqlalchemy import select

from registry.auth.roles import roles
from registry.codes import PROGRAMMES
from registry.extensions import db
from registry.models import DosingEvent, OstEnrolment
from registry.models.users import CLINIC_STAFF
from registry.schemas import DoseChangeSchema, DoseSchema, OstEnrolmentSchema, OstExitSchema
from registry.services import listings
from registry.services.audit import commit_read
from registry.services.ost import (
    GIVEN_KINDS,
    dose_change_problems,
    dose_problems,
    enrol_client,
    enrolment_problems,
    exit_problems,
    needs_reinduction,
    prescribed_dose,
    reinduction_decision,
    reinduction_gap_days,
)
from registry.services.ost import change_dose as change_dose_service
from registry.services.ost import exit_ost as exit_ost_service
from registry.services.ost import record_dose as record_dose_visit
from registry.web import blueprint, client_here_or_404, code_label, day_filter
from registry.web.forms import FormState, submit_form


def usual_dose(enrolment: OstEnrolment) -> dict[str, str]:
    """Today's visit as usually recorded: observed, at the dose prescribed for today.

    After a gap over the protocol limit the dose is left empty unless a re-induction
    decision was already prescribed (then its dose): staff decide, nothing is assumed.
    """
    today = date.today()
    values = {"dose_date": today.isoformat(), "kind": "observed"}
    if needs_reinduction(enrolment, today):
        decision = reinduction_decision(enrolment, today)
        latest = decision.dose_mg if decision is not None else None
    else:
        change = prescribed_dose(enrolment, today)
        if change is not None:
            latest = change.dose_mg
        else:  # the last dose given, without reading the enrolment's years of doses
            given = _last_doses(enrolment.id, 1, given=True)
            latest = given[0].dose_mg if given else None
    if latest is not None:
        values["dose_mg"] = format(Decimal(latest).normalize(), "f")
    return values


def _last_doses(enrolment_id: int, n: int, given: bool = False) -> list[DosingEvent]:
    """The enrolment's last ``n`` dosing events (doses given only, if ``given``), latest
    first: an index seek, not a load of every dose of a long enrolment."""
    query = select(DosingEvent).where(DosingEvent.enrolment_id == enrolment_id)
    if given:
        query = query.where(DosingEvent.kind.in_(GIVEN_KINDS))
    return list(db.session.scalars(query.order_by(DosingEvent.dose_date.desc()).limit(n)))


@blueprint.route("/clients/<int:client_id>/ost/new", methods=["GET", "POST"])
@roles(CLINIC_STAFF)
def enrol_ost(client_id: int) -> Any:
    """Enrol a client who has records at this centre on OST (404 otherwise)."""
    client = client_here_or_404(client_id)
    form = FormState()
    if request.method == "POST":
        saved, form = submit_form(
            OstEnrolmentSchema(),
            lambda data: enrol_client(client, data, actor=g.user, centre=g.user.centre),
            saved=_("The client was enrolled on OST."),
            rules=lambda valid: enrolment_problems(client, g.user.centre, valid),
        )
        if saved is not None:
            return redirect(url_for("web.client", client_id=client_id))
        client = client_here_or_404(client_id)
    page = render_template(
        "web/ost_enrol.html",
        form=form,
        client=client,
        episodes={
            str(e.id): f"{day_filter(e.admission_date)} · {code_label(PROGRAMMES, e.programme)}"
            for e in listings.open_episodes(client_id, g.user.centre_id)
        },
        centres=listings.other_centre_choices(g.user.centre_id),
    )
    commit_read()  # the audit "read" of the client
    return page, 422 if form.errors else 200


def enrolment_form(
    enrolment_id: int,
    schema: Schema,
    service: Callable[..., Any],
    template: str,
    saved: str,
    defaults: Callable[[OstEnrolment], dict[str, str]] | None = None,
    done: str = "web.client",
    rules: Callable[[OstEnrolment, dict[str, Any]], list[Any]] | None = None,
) -> Any:
    """The shape of every form on one enrolment: find it at this centre (404 otherwise),
    validate with ``schema``, call ``service(enrolment, data, actor=...)``, commit, or
    roll back and show the errors beside the fields.
    """
    enrolment = listings.enrolment_at_centre(g.user, enrolment_id, g.user.centre_id)
    if enrolment is None:
        db.session.rollback()
        abort(404)
    form = FormState(values=defaults(enrolment) if defaults else {})
    if request.method == "POST":
        client_id = enrolment.client_id
        result, form = submit_form(
            schema, lambda data: service(enrolment, data, actor=g.user), saved=saved,
            rules=(lambda valid: rules(enrolment, valid)) if rules else None,
        )  # fmt: skip
        if result is not None:
            if done in ("web.dashboard", "web.dosing_today"):
                return redirect(url_for(done))
            return redirect(url_for(done, client_id=client_id))
        enrolment = listings.enrolment_at_centre(g.user, enrolment_id, g.user.centre_id)
    context = {"form": form, "enrolment": enrolment}
    if template == "web/dose.html":
        context["recent"] = _last_doses(enrolment.id, 7)
        today = date.today()
        gap = enrolment.is_open and needs_reinduction(enrolment, today)
        context["reinduction"] = gap
        context["decided"] = gap and reinduction_decision(enrolment, today) is not None
        context["gap_days"] = reinduction_gap_days()
    page = render_template(template, **context)
    commit_read()  # the audit "read" of the enrolment
    return page, 422 if form.errors else 200


@blueprint.route("/ost/<int:enrolment_id>/doses/new", methods=["GET", "POST"])
@roles(CLINIC_STAFF)
def record_dose(enrolment_id: int) -> Any:
    """Record one day's dose of an open enrolment at this centre."""
    return enrolment_form(
        enrolment_id, DoseSchema(), record_dose_visit, "web/dose.html",
        _("The dose was recorded."), defaults=usual_dose, done="web.dosing_today",
        rules=dose_problems,
    )  # fmt: skip


@blueprint.route("/ost/<int:enrolment_id>/dose-changes/new", methods=["GET", "POST"])
@roles(CLINIC_STAFF)
def change_dose(enrolment_id: int) -> Any:
    """Prescribe a new dose (induction, maintenance or tapering) from a date."""
    return enrolment_form(
        enrolment_id, DoseChangeSchema(), change_dose_service, "web/dose_change.html",
        _("The new dose was saved."), rules=dose_change_problems,
    )  # fmt: skip


@blueprint.route("/ost/<int:enrolment_id>/exit", methods=["GET", "POST"])
@roles(CLINIC_STAFF)
def exit_ost(enrolment_id: int) -> Any:
    """End OST at this site with a date and a reason."""
    return enrolment_form(
        enrolment_id, OstExitSchema(), exit_ost_service, "web/ost_exit.html",
        _("The exit from OST was saved."), rules=exit_problems,
    )  # fmt: skip
