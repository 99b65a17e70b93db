"""Recording a laboratory test result (HIV, HCV, TB) of a client of this centre."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registry.auth.roles import roles
from registry.models.users import CLINIC_STAFF
from registry.schemas import LabTestSchema
from registry.services.audit import commit_read
from registry.services.lab import record_test, test_problems
from registry.web import blueprint, client_here_or_404
from registry.web.forms import FormState, submit_form


@blueprint.route("/clients/<int:client_id>/lab-tests/new", methods=["GET", "POST"])
@roles(CLINIC_STAFF)
def record_lab_test(client_id: int) -> Any:
    """Record a test result of a client with records at this centre (404 otherwise)."""
    client = client_here_or_404(client_id)
    form = FormState()
    if request.method == "POST":
        saved, form = submit_form(
            LabTestSchema(),
            lambda data: record_test(client, data, actor=g.user, centre=g.user.centre),
            saved=_("The test result was saved."),
            rules=lambda valid: test_problems(client, g.user.centre, valid),
        )
        if saved is not None:
            return redirect(url_for("web.client", client_id=client_id))
        client = client_here_or_404(client_id)
    page = render_template("web/lab_test.html", form=form, client=client)
    commit_read()
    return page, 422 if form.errors else 200
