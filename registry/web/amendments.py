"""Correcting and voiding a record this centre made, and showing its amendment history.

``/records/<entity>/<id>/correct`` and ``/records/<entity>/<id>/void``, where ``entity``
is a kind of :data:`registry.codes.AMENDABLE_RECORDS`. Another centre's record, an
unknown kind, or a discharge of an open episode is a 404, as every record page. As on
every clinic form, a refused submission shows all its errors at once: the schema's, and
the record's rules checked on the fields the schema accepted. The
client page shows each record's history with the template globals
:func:`amendment_history`, :func:`voided_records` and :func:`amended_value`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registry import codes
from registry.auth.roles import roles
from registry.extensions import db
from registry.models import RecordAmendment
from registry.models.users import CLINIC_STAFF
from registry.schemas.amendments import CORRECTED_FIELDS, CORRECTION_SCHEMAS, VoidSchema
from registry.services import amendments, listings
from registry.services.amendment_rules import KINDS
from registry.services.audit import commit_read
from registry.services.record_snapshot import plain
from registry.web import blueprint, code_label, day_filter, mg_filter
from registry.web.forms import FormState, form_input, submit_form

#: How each corrected field is typed: (widget, code list or None).
SELECTS = {
    "ever_treated": codes.EVER_TREATED, "referral_source": codes.REFERRAL_SOURCES,
    "living_with": codes.LIVING_WITH, "living_with_children": codes.LIVING_WITH_CHILDREN,
    "living_where": codes.LIVING_WHERE, "education": codes.EDUCATION,
    "labour_status": codes.LABOUR_STATUS, "primary_drug": codes.PRIMARY_DRUGS,
    "route": codes.ROUTES, "frequency": codes.FREQUENCIES, "injecting": codes.INJECTING,
    "needle_sharing": codes.NEEDLE_SHARING, "hiv_testing": codes.TESTING_HISTORY,
    "hcv_testing": codes.TESTING_HISTORY, "polydrug_use": codes.POLYDRUG_USE,
    "ost_history": codes.OST_HISTORY,
    "discharge_reason": codes.DISCHARGE_REASONS, "exit_reason": codes.OST_EXIT_REASONS,
    "reason": codes.DOSE_CHANGE_REASONS,
}  # fmt: skip
RADIOS = {
    "medication": codes.OST_MEDICATIONS, "kind": codes.DOSE_KINDS,
    "phase": codes.DOSE_PHASES, "test": codes.LAB_TESTS, "result": codes.LAB_RESULTS,
}  # fmt: skip
CHECKBOXES = {"secondary_drugs": codes.SECONDARY_DRUGS}
DATES = frozenset({"discharge_date", "enrolment_date", "first_maintenance_date", "exit_date",
                   "dose_date", "effective_date", "sample_date"})  # fmt: skip
DOSES = frozenset({"dose_mg", "induction_dose_mg"})
CHOICES = {**SELECTS, **RADIOS, **CHECKBOXES}


def widget(name: str) -> tuple[str, dict[str, Any] | None]:
    """How the correction form shows field ``name``: (kind, choices)."""
    for kind, lists in (("select", SELECTS), ("radios", RADIOS), ("checkboxes", CHECKBOXES)):
        if name in lists:
            return kind, lists[name]
    if name in DATES:
        return "date", None
    if name in DOSES:
        return "dose", None
    if name == "note":
        return "note", None
    return "number", None


def current_values(entity: str, record: Any) -> dict[str, Any]:
    """The record's values as the correction form shows them (the form starts from these)."""
    values: dict[str, Any] = {}
    for name in CORRECTED_FIELDS[entity]:
        value = plain(getattr(record, name))
        values[name] = value if isinstance(value, list) else ("" if value is None else str(value))
    return values


@blueprint.app_template_global()
def amended_value(name: str, value: Any) -> str:
    """A value kept in an amendment, as staff read it (a label, a date, a dose)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(code_label(CHOICES.get(name, {}), str(v)) for v in value)
    if name in CHOICES:
        return code_label(CHOICES[name], str(value))
    if name in DATES:
        return day_filter(date.fromisoformat(str(value)))
    if name in DOSES:
        return mg_filter(Decimal(str(value)))
    return str(value)


@blueprint.app_template_global()
def amendment_history(client_id: int) -> dict[tuple[str, int], list[RecordAmendment]]:
    """The amendments of the client's records at the signed-in user's centre."""
    return amendments.history(client_id, g.user.centre_id)


@blueprint.app_template_global()
def voided_records(client_id: int) -> list[RecordAmendment]:
    """The client's records at the user's centre that were voided (removed)."""
    return amendments.voided(client_id, g.user.centre_id)


def _record_or_404(entity: str, record_id: int) -> Any:
    record = amendments.record_at_centre(g.user, entity, record_id, g.user.centre_id)
    if record is None:
        db.session.rollback()
        abort(404)
    return record


def _position(order: tuple[str, ...]) -> Any:
    """A sort key putting field names in form order (unknown names last)."""
    return lambda name: order.index(name) if name in order else len(order)


def _page(mode: str, entity: str, record: Any, form: FormState) -> Any:
    """The correction or void form of ``record`` with its history (after a failed post,
    the view finds the record again, so its audited read is in the new transaction).
    Its messages are listed in the order of the fields, whichever check found them.
    """
    record_id = record.id
    client_id = KINDS[entity].client_id(record)
    schema = CORRECTION_SCHEMAS[entity]()
    order = ("_schema", *CORRECTED_FIELDS[entity], "amendment_reason", "amendment_note")
    form.errors = {name: form.errors[name] for name in sorted(form.errors, key=_position(order))}
    page = render_template(
        "web/amend.html", mode=mode, entity=entity, record=record, form=form,
        client=record.client if hasattr(record, "client") else record.enrolment.client,
        fields=[(name, *widget(name), schema.fields[name].required)
                for name in CORRECTED_FIELDS[entity]],
        current=current_values(entity, record),
        history=amendments.history(client_id, g.user.centre_id).get((entity, record_id), []),
    )  # fmt: skip
    commit_read()  # the audit "read" of the record
    return page, 422 if form.errors else 200


@blueprint.route("/records/<entity>/<int:record_id>/correct", methods=["GET", "POST"])
@roles(CLINIC_STAFF)
def correct_record(entity: str, record_id: int) -> Any:
    """Correct a record this centre made: new values and a coded reason."""
    record = _record_or_404(entity, record_id)
    form = FormState(values=current_values(entity, record))
    if request.method == "POST":
        client_id = KINDS[entity].client_id(record)
        schema = CORRECTION_SCHEMAS[entity]()
        saved, form = submit_form(
            schema,
            lambda data: amendments.correct_record(entity, record, data, actor=g.user),
            saved=_("The correction was saved."),
            rules=lambda valid: amendments.correction_problems(
                entity, record, valid, refused=form_input(schema, request.form).keys() - valid
            ),
        )
        if saved is not None:
            return redirect(url_for("web.client", client_id=client_id))
        record = _record_or_404(entity, record_id)
    return _page("correct", entity, record, form)


@blueprint.route("/records/<entity>/<int:record_id>/void", methods=["GET", "POST"])
@roles(CLINIC_STAFF)
def void_record(entity: str, record_id: int) -> Any:
    """Void a record this centre made (entered in error), with a coded reason."""
    record = _record_or_404(entity, record_id)
    form = FormState()
    if request.method == "POST":
        client_id = KINDS[entity].client_id(record)
        saved, form = submit_form(
            VoidSchema(),
            lambda data: amendments.void_record(entity, record, data, actor=g.user),
            saved=_("The record was voided."),
            rules=lambda _valid: amendments.void_problems(entity, record),
        )
        if saved is not None:
            if listings.has_records_at(client_id, g.user.centre_id):
                return redirect(url_for("web.client", client_id=client_id))
            return redirect(url_for("web.dashboard"))
        record = _record_or_404(entity, record_id)
    return _page("void", entity, record, form)
