"""Discharging a treatment episode of this centre."""

from __future__ import annotations

from typing import Any

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registry.auth.roles import roles
from registry.extensions import db
from registry.models.users import CLINIC_STAFF
from registry.schemas import DischargeSchema
from registry.services import listings
from registry.services.audit import commit_read
from registry.services.episodes import discharge_episode, discharge_problems
from registry.web import blueprint
from registry.web.forms import FormState, submit_form


@blueprint.route("/episodes/<int:episode_id>/discharge", methods=["GET", "POST"])
@roles(CLINIC_STAFF)
def discharge(episode_id: int) -> Any:
    """Close an open episode with a date and a reason (404 for another centre's episode)."""
    episode = listings.episode_at_centre(g.user, episode_id, g.user.centre_id)
    if episode is None:
        db.session.rollback()
        abort(404)
    form = FormState()
    if request.method == "POST":
        client_id = episode.client_id
        saved, form = submit_form(
            DischargeSchema(),
            lambda data: discharge_episode(episode, data, actor=g.user),
            saved=_("The discharge was saved."),
            rules=lambda valid: discharge_problems(episode, valid),
        )
        if saved is not None:
            return redirect(url_for("web.client", client_id=client_id))
        episode = listings.episode_at_centre(g.user, episode_id, g.user.centre_id)
    page = render_template("web/discharge.html", form=form, episode=episode)
    commit_read()  # the audit "read" of the episode
    return page, 422 if form.errors else 200
