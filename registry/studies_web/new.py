"""The new-study form: method, lists, period, area, strata and the method's parameters.

The form posts the API's own names (``parameters/alpha`` ...) and is loaded by the API's
:class:`~registry.schemas.studies.StudySchema`, so a parameter's default, rule and error
are the method's (:mod:`registry.services.methods`), in one place. It shows only the
chosen method's parameters (its partial, ``studies/parameters/_<method>.html``): a
method is chosen first, with the "Show its parameters" button or, with scripts on,
``static/method-choice.js`` pressing it when the method changes.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registry.auth.roles import roles
from registry.extensions import db
from registry.models import Study
from registry.models.studies import JobState
from registry.schemas.studies import StudySchema
from registry.services import audit, linkage, studies
from registry.services.audit import commit_read
from registry.services.errors import ServiceError
from registry.services.methods import METHODS, Estimate, Method
from registry.services.methods.capture_recapture_checks import nested_entries
from registry.studies_web import EPI_ROLES, blueprint
from registry.studies_web.common import area_choices, format_number, list_choices
from registry.studies_web.forms import METHOD_LABELS
from registry.studies_web.readable import nested_list_message
from registry.web.forms import FormState, errors_state, form_values, load_form, submit_form

#: What a fresh form proposes besides the method's own defaults: the whole country.
GENERAL_DEFAULTS = {"method": "capture_recapture", "area_code": "KG"}
#: The inputs every method shares (kept when the method changes).
GENERAL_FIELDS = ("title", "method", "lists", "period", "area_code", "strata")
#: The methods whose form chooses among finished estimates.
SOURCE_METHODS = ("coverage", "projection", "synthesis")


def estimate_job_choices() -> dict[str, str]:
    """Succeeded jobs whose result is a population estimate (audited list read).

    ``{job id: "#id · title · period · area · estimate"}`` (and "· approved" for an
    approved result), newest first: what a coverage, projection or synthesis study may
    build on.
    """
    choices = {}
    for job in studies.list_jobs(actor=g.user, limit=200):
        method = METHODS.get(job.study.method)
        if job.state != JobState.SUCCEEDED or job.result is None or method is None:
            continue
        estimate: Estimate | None = method.estimate(method.read(job.result.payload))
        if method.estimates_population and estimate is not None:
            study = job.study
            label = (study.title, study.period, study.area.code, format_number(estimate.abundance))
            approved = (str(_("approved")),) if job.result.approved else ()
            choices[str(job.id)] = " · ".join((f"#{job.id}", *label, *approved))
    return choices


def anchor_study_choices() -> dict[str, str]:
    """Studies whose latest job has an approved single-area population estimate: what a
    MIM study may take as anchors (``{study id: "#id · title · period · area · estimate"}``).
    """
    choices = {}
    for job in studies.list_jobs(actor=g.user, limit=200):
        method = METHODS.get(job.study.method)
        if job.result is None or not job.result.approved or method is None:
            continue
        payload = method.read(job.result.payload)
        if method.regional_estimates(payload) or not method.estimates_population:
            continue  # a MIM result is no anchor
        estimate = method.estimate(payload)
        study = job.study
        if estimate is not None and str(study.id) not in choices:
            label = (study.title, study.period, study.area.code, format_number(estimate.abundance))
            choices[str(study.id)] = " · ".join((f"#{study.id}", *label))
    return choices


def parameter_defaults(method: Method) -> dict[str, str]:
    """The method's defaults as the form's inputs (``parameters/<name>``)."""
    schema = method.parameters()
    return form_values(schema.dump(method.defaults()), "parameters")


def _general(given: Any) -> dict[str, Any]:
    """The general fields of a query string or a posted form (``lists`` as a list)."""
    return {
        name: given.getlist(name) if name == "lists" else given[name]
        for name in GENERAL_FIELDS
        if name in given
    }


def _chosen(values: dict[str, Any]) -> Method:
    return METHODS.get(str(values.get("method") or ""), METHODS[GENERAL_DEFAULTS["method"]])


@blueprint.route("/new", methods=["GET", "POST"])
@roles(*EPI_ROLES)
def new_study() -> Any:
    """Create a study and queue its first job; the job page then shows its progress."""
    action = request.form.get("action")
    report = None
    if request.method == "GET" or action == "choose":
        # a fresh form (?method=... chooses the method), or the method changed: the general
        # fields as given, and the chosen method's own parameters with their defaults
        given = request.args if request.method == "GET" else request.form
        values: dict[str, Any] = {**GENERAL_DEFAULTS, **_general(given)}
        form = FormState(values={**values, **parameter_defaults(_chosen(values))})
    elif action == "overlap":
        report, form = _overlap()
    else:
        job, form = submit_form(
            StudySchema(),
            lambda data: studies.create_study(data, actor=g.user),  # queued on commit
            saved=_("The study was submitted; its job is queued."),
            nested=True,
        )
        if job is not None:
            _warn_nested(job.study)
            return redirect(url_for("studies.job", job_id=job.id))
    method = _chosen(form.values)
    page = render_template(
        "studies/new.html",
        form=form,
        method=method,
        methods=METHOD_LABELS,
        estimate_jobs=estimate_job_choices() if method.name in SOURCE_METHODS else {},
        anchor_studies=anchor_study_choices() if method.name == "mim" else {},
        areas=area_choices(),
        lists=list_choices(),
        linkage=report,
    )
    commit_read()  # the audited read of the jobs offered as sources
    return page, 422 if form.errors else 200


def _nested(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The lists (nearly) inside another, for the overlap report of a capture-recapture
    study (none when a list is empty: the report says so)."""
    if data["method"] != "capture_recapture":
        return []
    try:
        histories, _report = linkage.build_histories(
            data["lists"], period=data["period"], area_code=data["area_code"],
            strata=data["strata"],
        )  # fmt: skip
    except ServiceError:
        return []
    return nested_entries(histories)


def _warn_nested(study: Study) -> None:
    """A nearly nested pair of a new capture-recapture study, told at once (a flashed
    warning on its job page; its result carries the same warning)."""
    if study.method != "capture_recapture":
        return
    try:
        histories, report = linkage.build_histories(
            study.lists, period=study.period, area_code=study.area.code, strata=study.strata
        )
    except ServiceError:
        return
    for entry in nested_entries(histories):
        flash(nested_list_message(entry, report), "warning")


def _overlap() -> tuple[dict[str, Any] | None, FormState]:
    """The linkage report of the chosen lists, before running anything (audited read)."""
    data, form = load_form(StudySchema(), request.form, nested=True)
    report = None
    if data is not None:
        try:
            studies.ensure_epidemiology(g.user)
            report = linkage.overlap_report(
                data["lists"],
                period=data["period"],
                area_code=data["area_code"],
                strata=data["strata"],
            )
        except ServiceError as error:
            form = errors_state(error, form.values)
        else:
            report["nested_lists"] = _nested(data)
            detail = ",".join(data["lists"])
            audit.record_event(g.user, "read", "linkage", None, detail=detail)
    if report is None:
        db.session.rollback()
    else:
        db.session.commit()
    return report, form
