"""``/api/jobs``: create, list, get and cancel estimation jobs; results as JSON, CSV, XLSX."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask.views import MethodView
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, fields

from registry.api import blueprint
from registry.api.documentation import (
    BINARY_FILE,
    TEXT_FILE,
    CsrfTokenSchema,
    study_request_body,
)
from registry.auth.roles import roles, signed_in
from registry.extensions import db
from registry.models import EstimationJob
from registry.models.users import ADMIN, EPIDEMIOLOGIST
from registry.schemas.studies import JobSchema, ResultSchema, StudySchema
from registry.services import approvals, studies
from registry.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, bom_requested
from registry.study_downloads import result_csv, result_xlsx

EPIDEMIOLOGY = (ADMIN, EPIDEMIOLOGIST)


def _job(job_id: int) -> EstimationJob:
    return studies.get_job(job_id, actor=g.user)  # NotFound: 404


@blueprint.route("/csrf-token")
@signed_in
@blueprint.response(200, CsrfTokenSchema)
def csrf_token() -> dict[str, str]:
    """The CSRF token to send as ``X-CSRFToken`` with every POST."""
    return {"csrf_token": generate_csrf()}


@blueprint.route("/jobs")
@roles(*EPIDEMIOLOGY)
class Jobs(MethodView):
    """Estimation jobs."""

    @blueprint.response(200, JobSchema(many=True))
    def get(self) -> list[EstimationJob]:
        """The latest jobs, newest first."""
        jobs = studies.list_jobs(actor=g.user)
        db.session.commit()
        return jobs

    @blueprint.arguments(StudySchema)
    @blueprint.doc(requestBody=study_request_body())
    @blueprint.response(202, JobSchema)
    def post(self, data: dict[str, Any]) -> EstimationJob:
        """Create a study and queue its job; returns at once (poll the job)."""
        job = studies.create_study(data, actor=g.user)
        db.session.commit()
        return job


@blueprint.route("/jobs/<int:job_id>")
@roles(*EPIDEMIOLOGY)
class Job(MethodView):
    """One job."""

    @blueprint.response(200, JobSchema)
    def get(self, job_id: int) -> EstimationJob:
        """The job's state (queued, running, succeeded, failed with the error, cancelled)."""
        job = _job(job_id)
        db.session.commit()
        return job


@blueprint.route("/jobs/<int:job_id>/cancel")
@roles(*EPIDEMIOLOGY)
class CancelJob(MethodView):
    """Cancel a job."""

    @blueprint.response(200, JobSchema)
    def post(self, job_id: int) -> EstimationJob:
        """Cancel a queued job, or ask the worker to stop a running one."""
        job = studies.cancel_job(_job(job_id), actor=g.user)
        db.session.commit()
        return job


@blueprint.route("/jobs/<int:job_id>/result")
@roles(*EPIDEMIOLOGY)
class Result(MethodView):
    """A job's result."""

    @blueprint.response(200, ResultSchema)
    def get(self, job_id: int) -> Any:
        """The result payload with its provenance (422 until the job has succeeded)."""
        result = studies.get_result(job_id, actor=g.user)
        db.session.commit()
        return result


class CsvQuerySchema(Schema):
    """Options of a CSV download."""

    bom = fields.String(metadata={"description": "1: start with the UTF-8 byte order mark, "
                                  "which Excel needs to read Cyrillic; 0 (default): none",
                                  "enum": ["0", "1"]})  # fmt: skip


@blueprint.route("/jobs/<int:job_id>/result.csv")
@roles(*EPIDEMIOLOGY)
class ResultCsv(MethodView):
    """A job's result as CSV."""

    @blueprint.arguments(CsvQuerySchema, location="query")
    @blueprint.response(200, TEXT_FILE, content_type="text/csv")
    def get(self, _args: dict[str, Any], job_id: int) -> Response:
        """One row for the chosen estimate, then one per model or stratum (``bom=1``: with
        a byte order mark, for Excel)."""
        bom = bom_requested(request.args)
        result = studies.get_result(job_id, actor=g.user)
        db.session.commit()
        return _file(result_csv(result, bom=bom), CSV_MIMETYPE, f"job-{job_id}.csv")


@blueprint.route("/jobs/<int:job_id>/result.xlsx")
@roles(*EPIDEMIOLOGY)
class ResultXlsx(MethodView):
    """A job's result as an XLSX workbook."""

    @blueprint.response(200, BINARY_FILE, content_type=XLSX_MIMETYPE)
    def get(self, job_id: int) -> Response:
        """The CSV's rows and cells with numbers as number cells, headers in the request's
        language (audited like the CSV)."""
        result = studies.get_result(job_id, actor=g.user)
        db.session.commit()
        return _file(result_xlsx(result), XLSX_MIMETYPE, f"job-{job_id}.xlsx")


def _file(body: str | bytes, mimetype: str, filename: str) -> Response:
    disposition = f"attachment; filename={filename}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})


# Approval of a result for publication (issue 7): only approved results reach ministries.


@blueprint.route("/jobs/<int:job_id>/result/approval")
@roles(*EPIDEMIOLOGY)
class ResultApproval(MethodView):
    """Approval of a job's result for publication."""

    @blueprint.response(200, ResultSchema)
    def post(self, job_id: int) -> Any:
        """Approve the result (422 unless the job succeeded and the result is not approved)."""
        result = approvals.approve_result(studies.get_result(job_id, actor=g.user), actor=g.user)
        db.session.commit()
        return result

    @blueprint.response(200, ResultSchema)
    def delete(self, job_id: int) -> Any:
        """Withdraw the approval (422 if the result is not approved)."""
        result = studies.get_result(job_id, actor=g.user)
        approvals.withdraw_approval(result, actor=g.user)
        db.session.commit()
        return result
