"""Discharging a treatment episode of this centre."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from registry.auth.roles import roles
from registry.extensions import db
from registry.models.users import CLINIC_STAFF
from registry.schemas import DischargeSchema
from registry.services import listings
from registry.services.episodes import discharge_episode
from registry.services.errors import ServiceError
from registry.web import blueprint
from registry.web.forms import FormState, errors_state, load_form


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
        data, form = load_form(DischargeSchema(), request.form)
        if data is not None:
            try:
                discharge_episode(episode, data, actor=g.user)
            except (ValidationError, ServiceError) as error:
                db.session.rollback()
                form = errors_state(error, form.values)
            else:
                client_id = episode.client_id
                db.session.commit()
                flash(_("The discharge was saved."), "info")
                return redirect(url_for("web.client", client_id=client_id))
        db.session.rollback()
        episode = listings.episode_at_centre(g.user, episode_id, g.user.centre_id)
    page = render_template("web/discharge.html", form=form, episode=episode)
    db.session.commit()  # the audit "read" of the episode
    return page, 422 if form.errors else 200
