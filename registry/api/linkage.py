"""``/api/linkage``: overlap of lists; ``/api/duplicates``: potential duplicates to review."""

from __future__ import annotations

from typing import Any

from flask import abort, g
from flask.views import MethodView

from registry.api import blueprint
from registry.api.jobs import EPIDEMIOLOGY
from registry.auth.roles import roles
from registry.extensions import db
from registry.models import DuplicateCandidate
from registry.schemas.studies import (
    DuplicateQuerySchema,
    DuplicateSchema,
    OverlapQuerySchema,
    ReviewSchema,
)
from registry.services import audit, linkage, studies


@blueprint.route("/linkage/overlap")
@roles(*EPIDEMIOLOGY)
class Overlap(MethodView):
    """How the chosen lists overlap."""

    @blueprint.arguments(OverlapQuerySchema, location="query")
    @blueprint.response(200)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Counts per list and pairwise, and the capture-history counts (no codes).

        ``?lists=registry:ost&lists=upload:3&period=2003&area_code=KG``
        """
        studies.ensure_epidemiology(g.user)
        report = linkage.overlap_report(
            query["lists"], period=query["period"], area_code=query["area_code"],
            strata=query["strata"],
        )  # fmt: skip
        for entry in report["lists"]:
            entry.pop("digest", None)
        audit.record_event(g.user, "read", "linkage", None, detail=",".join(query["lists"]))
        db.session.commit()
        return report


@blueprint.route("/duplicates")
@roles(*EPIDEMIOLOGY)
class Duplicates(MethodView):
    """Potential duplicates waiting for a decision."""

    @blueprint.arguments(DuplicateQuerySchema, location="query")
    @blueprint.response(200, DuplicateSchema(many=True))
    def get(self, query: dict[str, Any]) -> list[DuplicateCandidate]:
        """Pending pairs (of one upload with ``?list_id=``)."""
        studies.ensure_epidemiology(g.user)
        list_ids = [query["list_id"]] if query["list_id"] is not None else None
        pairs = linkage.pending_duplicates(list_ids)
        audit.record_event(g.user, "read", "duplicate_candidate", None, detail="list")
        db.session.commit()
        return pairs


@blueprint.route("/duplicates/<int:candidate_id>")
@roles(*EPIDEMIOLOGY)
class Duplicate(MethodView):
    """Decide on one pair."""

    @blueprint.arguments(ReviewSchema)
    @blueprint.response(200, DuplicateSchema)
    def post(self, data: dict[str, Any], candidate_id: int) -> DuplicateCandidate:
        """``{"decision": "accepted"}`` (same person, merged in linkage) or ``"rejected"``."""
        studies.ensure_epidemiology(g.user)
        candidate = db.session.get(DuplicateCandidate, candidate_id) or abort(404)
        linkage.review_duplicate(candidate, data["decision"], actor=g.user)
        db.session.commit()
        return candidate
