"""Uploading another agency's list, and reading what was kept of it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from registry.auth.roles import roles
from registry.extensions import db
from registry.models import SourceList
from registry.schemas.studies import UploadFieldsSchema
from registry.services import audit
from registry.services import uploads as upload_service
from registry.services.audit import commit_read
from registry.services.errors import ServiceError
from registry.studies_web import EPI_ROLES, blueprint
from registry.studies_web.common import area_choices, uploads
from registry.studies_web.jobs import REFRESH_SECONDS
from registry.web.forms import FormState, errors_state, load_form

#: Rejected rows listed one by one on the upload page (all are counted by reason).
LISTED_ROWS = 50


@blueprint.route("/uploads", methods=["GET", "POST"])
@roles(*EPI_ROLES)
def new_upload() -> Any:
    """Upload a CSV of client codes or of identifiers (turned into codes in memory).

    The file is checked beside the other fields (a missing file and a missing source name
    are reported together), so this view does not use ``submit_form``. Files above
    ``MAX_CONTENT_LENGTH`` are refused with 413 before the view runs.
    """
    form = FormState(values={"kind": "codes"})
    if request.method == "POST":
        data, form = load_form(UploadFieldsSchema(), request.form)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            form.errors.setdefault("file", []).append(_("Choose a CSV file."))
        elif data is not None:
            try:
                source = _store(upload.stream, data)
            except (ValidationError, ServiceError) as error:
                form = errors_state(error, form.values)
            else:
                db.session.commit()
                if source.job is None:
                    flash(_("The list was uploaded."), "info")
                else:
                    flash(
                        _("The list was uploaded; the job worker is searching it for duplicates."),
                        "info",
                    )
                return redirect(url_for("studies.upload", list_id=source.id))
        db.session.rollback()
    page = render_template(
        "studies/uploads.html", form=form, areas=area_choices(), sources=uploads()
    )
    return page, 422 if form.errors else 200


def _store(stream: Any, data: dict[str, Any]) -> SourceList:
    common = {
        "source_name": data["source_name"],
        "period": data["period"],
        "area_code": data["area_code"],
        "actor": g.user,
    }
    if data["kind"] == "identifiers":
        key = current_app.config["LINKAGE_KEY"]
        return upload_service.upload_identifier_list(stream, key=key, **common)
    return upload_service.upload_code_list(stream, **common)


@blueprint.route("/uploads/<int:list_id>")
@roles(*EPI_ROLES)
def upload(list_id: int) -> Any:
    """One upload: its counts, the rejected rows with their reasons (no values), and the
    progress of the job that pairs a large upload (the page follows it until it ends)."""
    source = db.session.get(SourceList, list_id)
    if source is None:
        abort(404)
    from registry.services.linkage import pending_duplicates

    pending = len(pending_duplicates([source.id]))
    audit.record_event(g.user, "read", "source_list", source.id)
    rows = [{**row, "reason": upload_service.reason_code(row["reason"])}
            for row in source.rejected_rows]  # fmt: skip
    reasons = Counter((row["field"], row["reason"]) for row in rows)
    page = render_template(
        "studies/upload.html",
        source=source,
        job=source.job,
        refresh=REFRESH_SECONDS if source.job and not source.job.finished else None,
        pending=pending,
        reasons=reasons.most_common(),
        listed=rows[:LISTED_ROWS],
    )
    commit_read()
    return page
