"""The new-study form: method, lists, period, area, strata and parameters."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from registry.auth.roles import roles
from registry.services import estimators, studies
from registry.studies_web import EPI_ROLES, blueprint
from registry.studies_web.common import area_choices, list_choices
from registry.studies_web.forms import (
    ANALYSIS_LABELS,
    CRITERIA,
    INTERVALS,
    METHOD_LABELS,
    STRATA,
    NewStudyFormSchema,
)
from registry.web.forms import FormState, submit_form

#: What a fresh form proposes: a BIC model search at 95% on the whole country.
DEFAULTS = {
    "method": "capture_recapture",
    "analysis": "search",
    "criterion": "bic",
    "interval": "lognormal",
    "confidence": "95",
    "replicates": "1000",
    "seed": "20030101",
    "area_code": "KG",
}


def method_choices() -> dict[str, Any]:
    """The methods the services can run, with their labels."""
    return {m: label for m, label in METHOD_LABELS.items() if m in estimators.METHODS}


@blueprint.route("/new", methods=["GET", "POST"])
@roles(*EPI_ROLES)
def new_study() -> Any:
    """Create a study and queue its first job; the job page then shows its progress."""
    form = FormState(values=dict(DEFAULTS))
    if request.method == "POST":
        job, form = submit_form(
            NewStudyFormSchema(),
            lambda data: studies.create_study(data, actor=g.user),  # queued on commit
            saved=_("The study was submitted; its job is queued."),
        )
        if job is not None:
            return redirect(url_for("studies.job", job_id=job.id))
    page = render_template(
        "studies/new.html",
        form=form,
        methods=method_choices(),
        analyses=ANALYSIS_LABELS,
        criteria=CRITERIA,
        intervals=INTERVALS,
        strata=STRATA,
        areas=area_choices(),
        lists=list_choices(),
    )
    return page, 422 if form.errors else 200
