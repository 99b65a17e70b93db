"""Reviewing potential duplicates: two codes that may be one person."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registry.auth.roles import roles
from registry.extensions import db
from registry.models import DuplicateCandidate, SourceList
from registry.services import audit, linkage
from registry.services.audit import commit_read
from registry.services.errors import ServiceError
from registry.studies_web import EPI_ROLES, blueprint
from registry.studies_web.forms import DecisionSchema
from registry.web.forms import load_form


@blueprint.route("/duplicates")
@roles(*EPI_ROLES)
def duplicates() -> Any:
    """Pending pairs, oldest first, with their list and what differs."""
    pending = linkage.pending_duplicates()
    names = {s.id: s.source_name for s in db.session.scalars(db.select(SourceList))}
    audit.record_event(g.user, "read", "duplicate_candidate", None, detail="list")
    page = render_template("studies/duplicates.html", pending=pending, names=names)
    commit_read()
    return page


@blueprint.route("/duplicates/<int:candidate_id>", methods=["POST"])
@roles(*EPI_ROLES)
def decide_duplicate(candidate_id: int) -> Any:
    """Accept (merged in linkage) or reject one pair, then back to the list."""
    candidate = db.session.get(DuplicateCandidate, candidate_id)
    if candidate is None:
        abort(404)
    data, form = load_form(DecisionSchema(), request.form)
    if data is None:
        flash(_("Choose whether the two codes are the same person."), "error")
        return redirect(url_for("studies.duplicates")), 302
    try:
        linkage.review_duplicate(candidate, data["decision"], actor=g.user)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("The decision was saved."), "info")
    return redirect(url_for("studies.duplicates"))
