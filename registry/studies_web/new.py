"""The new-study form: method, lists, period, area, strata and parameters."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from registry.auth.roles import roles
from registry.extensions import db
from registry.services import audit, estimators, linkage, studies
from registry.services.errors import ServiceError
from registry.services.estimators.sources import ESTIMATING_METHODS
from registry.studies_web import EPI_ROLES, blueprint
from registry.studies_web.common import area_choices, format_number, list_choices
from registry.studies_web.forms import (
    ANALYSIS_LABELS,
    CRITERIA,
    INTERVALS,
    METHOD_LABELS,
    MULTIPLIER_INTERVALS,
    RETENTION_GROUPS,
    STRATA,
    SURVEY_ROWS,
    YES_NO,
    NewStudyFormSchema,
    form_errors,
)
from registry.web.forms import FormState, errors_state, load_form, submit_form

#: What a fresh form proposes: the AIC model average at 95% on the whole country.
DEFAULTS = {
    "method": "capture_recapture",
    "analysis": "average",
    "criterion": "aic",
    "interval": "lognormal",
    "confidence": "95",
    "replicates": "1000",
    "seed": "20030101",
    "area_code": "KG",
    "multiplier_interval": "log",
    "random_effects": "no",
    "max_gap_days": "2",
    "group": "dose",
    "cox": "no",
    "horizon": "5",
    "scenarios": "trend=5:7; best=-3:-2; worst=4:5",
}


def estimate_job_choices() -> dict[str, str]:
    """Succeeded jobs whose result is a population estimate (audited list read).

    ``{job id: "#id · title · period · area · estimate"}``, newest first: what a
    coverage or projection study may build on.
    """
    choices = {}
    for job in studies.list_jobs(actor=g.user, limit=200):
        if job.state != "succeeded" or job.study.method not in ESTIMATING_METHODS:
            continue
        abundance = ((job.result.payload if job.result else {}).get("estimate") or {}).get(
            "abundance"
        )
        if abundance:
            study = job.study
            label = (study.title, study.period, study.area.code, format_number(abundance))
            choices[str(job.id)] = " · ".join((f"#{job.id}", *label))
    return choices


def method_choices() -> dict[str, Any]:
    """The methods the services can run, with their labels."""
    return {m: label for m, label in METHOD_LABELS.items() if m in estimators.METHODS}


@blueprint.route("/new", methods=["GET", "POST"])
@roles(*EPI_ROLES)
def new_study() -> Any:
    """Create a study and queue its first job; the job page then shows its progress."""
    form = FormState(values=dict(DEFAULTS))
    report = None
    if request.method == "POST" and request.form.get("action") == "overlap":
        report, form = _overlap()
    elif request.method == "POST":
        job, form = submit_form(
            NewStudyFormSchema(),
            _create,  # queued on commit
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
        multiplier_intervals=MULTIPLIER_INTERVALS,
        retention_groups=RETENTION_GROUPS,
        yes_no=YES_NO,
        survey_rows=SURVEY_ROWS,
        estimate_jobs=estimate_job_choices(),
        areas=area_choices(),
        lists=list_choices(),
        linkage=report,
    )
    db.session.commit()  # the audited read of the jobs offered as sources
    return page, 422 if form.errors else 200


def _create(data: dict[str, Any]) -> Any:
    """Create the study; a parameter error goes beside the form field it came from."""
    try:
        return studies.create_study(data, actor=g.user)
    except ValidationError as error:
        raise ValidationError(form_errors(data["method"], error.messages)) from error


def _overlap() -> tuple[dict[str, Any] | None, FormState]:
    """The linkage report of the chosen lists, before running anything (audited read)."""
    data, form = load_form(NewStudyFormSchema(), request.form)
    report = None
    if data is not None:
        try:
            studies.ensure_epidemiology(g.user)
            report = linkage.overlap_report(
                data["lists"],
                period=data["period"],
                area_code=data["area_code"],
                strata=data["strata"],
            )
        except ServiceError as error:
            form = errors_state(error, form.values)
        else:
            detail = ",".join(data["lists"])
            audit.record_event(g.user, "read", "linkage", None, detail=detail)
    if report is None:
        db.session.rollback()
    else:
        db.session.commit()
    return report, form
