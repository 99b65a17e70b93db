"""Jobs and their results: the list with live status, the result page, plots, downloads.

A page showing an unfinished job updates its state in place: ``static/job-status.js``
(a file, so the strict CSP holds) polls ``GET /api/jobs/<id>`` every
:data:`REFRESH_SECONDS` and reloads the page once the job has finished; without scripts a
``<noscript>`` meta refresh reloads it instead.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registry import plots, study_downloads
from registry.auth.roles import roles
from registry.extensions import db
from registry.models import EstimationJob, EstimationResult, User
from registry.models.studies import JobState
from registry.services import approvals, studies
from registry.services.audit import commit_read
from registry.services.errors import ServiceError
from registry.services.methods import METHODS
from registry.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, bom_requested
from registry.studies_web import EPI_ROLES, blueprint
from registry.studies_web.common import list_choices
from registry.studies_web.forms import METHOD_LABELS

#: Seconds between reloads of a page that waits for a job.
REFRESH_SECONDS = 3


def _job(job_id: int) -> EstimationJob:
    try:
        return studies.get_job(job_id, actor=g.user)
    except ServiceError:
        db.session.rollback()
        abort(404)


def _result(job_id: int) -> EstimationResult:
    try:
        return studies.get_result(job_id, actor=g.user)
    except ServiceError:
        db.session.rollback()
        abort(404)


def confidence_level(parameters: dict[str, Any]) -> str:
    """``"95"`` for ``alpha=0.05`` (no needless decimals)."""
    level = 100 * (1 - float(parameters.get("alpha") or 0.05))
    return f"{level:.1f}".rstrip("0").rstrip(".")


@blueprint.route("/jobs")
@roles(*EPI_ROLES)
def jobs() -> Any:
    """Every job, newest first, with its state (reloads while any is unfinished)."""
    rows = studies.list_jobs(actor=g.user)
    waiting = any(not job.finished for job in rows)
    page = render_template(
        "studies/jobs.html",
        jobs=rows,
        methods=METHOD_LABELS,
        refresh=REFRESH_SECONDS if waiting else None,
    )
    commit_read()  # the audited read
    return page


@blueprint.route("/jobs/<int:job_id>")
@roles(*EPI_ROLES)
def job(job_id: int) -> Any:
    """The job's state, then its result: estimate, model table, plots, provenance."""
    found = _job(job_id)
    if found.study is None:  # an upload's pairing job: shown with its upload
        db.session.commit()
        return redirect(url_for("studies.upload", list_id=found.source_list_id))
    succeeded = found.state == JobState.SUCCEEDED and found.result
    result = _result(job_id) if succeeded else None
    method = METHODS[found.study.method]
    payload = method.read(result.payload) if result else None
    approver = db.session.get(User, result.approved_by_id) if result and result.approved else None
    page = render_template(
        "studies/job.html",
        job=found,
        study=found.study,
        method=method,
        result=result,
        payload=payload,
        plots=method.plots(payload) if result else [],
        methods=METHOD_LABELS,
        refresh=None if found.finished else REFRESH_SECONDS,
        list_names=list_choices(),
        level=confidence_level((payload.parameters if payload else None) or found.study.parameters),
        approver=approver.username if approver else None,
    )
    commit_read()
    return page


@blueprint.route("/jobs/<int:job_id>/approval", methods=["POST"])
@roles(*EPI_ROLES)
def approval(job_id: int) -> Any:
    """Approve the result for publication, or withdraw the approval (``decision=withdraw``)."""
    result = _result(job_id)
    withdraw = request.form.get("decision") == "withdraw"
    try:
        if withdraw:
            approvals.withdraw_approval(result, actor=g.user)
        else:
            approvals.approve_result(result, actor=g.user)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        message = _("The approval was withdrawn.") if withdraw else _("The result is approved.")
        flash(message, "info")
    return redirect(url_for("studies.job", job_id=job_id))


@blueprint.route("/jobs/<int:job_id>/cancel", methods=["POST"])
@roles(*EPI_ROLES)
def cancel_job(job_id: int) -> Any:
    """Cancel a queued job, or ask the worker to stop a running one."""
    found = _job(job_id)
    try:
        studies.cancel_job(found, actor=g.user)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("The job was cancelled."), "info")
    return redirect(url_for("studies.job", job_id=job_id))


@blueprint.route("/jobs/<int:job_id>/plots/<name>.png")
@roles(*EPI_ROLES)
def plot(job_id: int, name: str) -> Any:
    """One plot of the result as a PNG image (404 if the result has no such plot)."""
    result = _result(job_id)
    method = METHODS[result.job.study.method]
    payload = method.read(result.payload)
    if name not in method.plots(payload) or method.draw is None:
        db.session.rollback()
        abort(404)
    draw = method.draw
    image = plots.cached_png(f"study-{name}", payload, lambda: draw(name, payload))
    commit_read()
    return Response(image, mimetype="image/png")


@blueprint.route("/jobs/<int:job_id>/result.json")
@roles(*EPI_ROLES)
def result_json(job_id: int) -> Any:
    """The result with its study and provenance, as a JSON file."""
    result = _result(job_id)
    document = export_document(result)
    commit_read()
    body = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    return _attachment(body, "application/json", f"study-{job_id}.json")


@blueprint.route("/jobs/<int:job_id>/result.csv")
@roles(*EPI_ROLES)
def result_csv(job_id: int) -> Any:
    """One row per model (chosen estimate first) as a CSV file (``bom=1``: for Excel)."""
    try:
        bom = bom_requested(request.args)
    except ServiceError:
        abort(422)
    result = _result(job_id)
    body = study_downloads.result_csv(result, bom=bom)
    commit_read()
    return _attachment(body, CSV_MIMETYPE, f"study-{job_id}.csv")


@blueprint.route("/jobs/<int:job_id>/result.xlsx")
@roles(*EPI_ROLES)
def result_xlsx(job_id: int) -> Any:
    """The CSV's rows as an Excel workbook: number cells, headers in the page language."""
    result = _result(job_id)
    body = study_downloads.result_xlsx(result)
    commit_read()
    return _attachment(body, XLSX_MIMETYPE, f"study-{job_id}.xlsx")


def export_document(result: EstimationResult) -> dict[str, Any]:
    """What the JSON download holds: the study, the payload, the parameters its analysis
    used (with the values it used, where the method says: ``parameters_used``) and the
    provenance."""
    study = result.job.study
    method = METHODS[study.method]
    used = method.parameters_used(method.read(result.payload)) if method.parameters_used else None
    return {
        "study": {
            "id": study.id,
            "title": study.title,
            "method": study.method,
            "parameters": study.parameters,
            "lists": study.lists,
            "period": study.period,
            "area": study.area.code,
            "strata": study.strata,
        },
        "job": result.job_id,
        "result": result.payload,
        "parameters_used": used,
        "provenance": {
            "history_counts": result.history_counts,
            "input_hash": result.input_hash,
            "software_version": result.software_version,
            "started_at": result.started_at.isoformat(),
            "finished_at": result.finished_at.isoformat(),
        },
    }


def _attachment(body: str | bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
