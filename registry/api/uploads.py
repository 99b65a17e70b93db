"""``/api/uploads``: other agencies' lists as CSV (client codes or identifiers)."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, g
from flask.views import MethodView
from sqlalchemy import select

from registry.api import blueprint
from registry.api.jobs import EPIDEMIOLOGY
from registry.auth.roles import roles
from registry.extensions import db
from registry.models import SourceList
from registry.schemas.studies import SourceListSchema, UploadSchema
from registry.services import audit, studies, uploads


@blueprint.route("/uploads")
@roles(*EPIDEMIOLOGY)
class Uploads(MethodView):
    """Uploaded lists."""

    @blueprint.response(200, SourceListSchema(many=True))
    def get(self) -> list[SourceList]:
        """Every uploaded list, newest first."""
        studies.ensure_epidemiology(g.user)
        lists = list(db.session.scalars(select(SourceList).order_by(SourceList.id.desc())))
        audit.record_event(g.user, "read", "source_list", None, detail="list")
        db.session.commit()
        return lists

    @blueprint.arguments(UploadSchema, location="multipart")
    @blueprint.response(201, SourceListSchema)
    def post(self, form: dict[str, Any]) -> SourceList:
        """Upload a CSV (multipart field ``file``).

        ``kind=codes``: column ``code``. ``kind=identifiers``: columns ``family_name``,
        ``given_name``, ``birth_date`` (YYYY-MM-DD or DD.MM.YYYY), ``sex`` (M/F), turned
        into codes while the file is read and never stored. Unusable rows are listed with
        their reasons; a file with missing columns or no usable row is refused (422,
        field ``file``) and nothing is stored. An identifier file of more than
        ``UPLOAD_BACKGROUND_ROWS`` rows is answered with ``state: processing`` and the
        ``job_id`` of the worker's job that searches it for duplicates (progress at
        ``GET /api/jobs/<id>``); studies, overlap and linkage refuse it until it is
        ``ready``.
        """
        studies.ensure_epidemiology(g.user)
        options = {
            "source_name": form["source_name"],
            "period": form["period"],
            "area_code": form["area_code"],
            "actor": g.user,
        }
        stream = form["file"].stream
        if form["kind"] == "identifiers":
            source = uploads.upload_identifier_list(
                stream, key=current_app.config["LINKAGE_KEY"], **options
            )
        else:
            source = uploads.upload_code_list(stream, **options)
        db.session.commit()
        return source


@blueprint.route("/uploads/<int:list_id>")
@roles(*EPIDEMIOLOGY)
class Upload(MethodView):
    """One uploaded list."""

    @blueprint.response(200, SourceListSchema)
    def get(self, list_id: int) -> SourceList:
        """Counts and rejected rows of one list."""
        studies.ensure_epidemiology(g.user)
        source = db.session.get(SourceList, list_id) or abort(404)
        audit.record_event(g.user, "read", "source_list", source.id)
        db.session.commit()
        return source
