"""Schemas, labels and choices of the epidemiologist's HTML forms.

The forms are flat (one input per value); :class:`NewStudyFormSchema` turns the posted
fields into the ``data`` that :func:`registry.services.studies.create_study` takes
(``title, method, parameters, lists, period, area_code, strata``), keeping only the
parameters that belong to the chosen method and analysis. Business rules (known lists,
known area, a valid ISO period, how many lists a method needs) stay in the services,
whose :class:`~registry.services.errors.ServiceError` lands beside the same fields.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import fields, post_load, validate

from registry.schemas.base import FormSchema, _messages, between, choice, max_length

#: Methods of issue 6, in the order the form offers them. The services may support only
#: some of them (:data:`registry.services.estimators.METHODS`); the form shows those.
METHOD_LABELS = {
    "capture_recapture": _l("Capture-recapture (two or more linked lists)"),
    "count_estimators": _l("Count estimators (one list: Chao, Zelterman)"),
    "multiplier": _l("Multiplier (benchmark / survey proportion)"),
    "hiv_trend": _l("HIV prevalence trend"),
    "retention": _l("Retention (Kaplan-Meier)"),
    "coverage": _l("OST coverage"),
    "projection": _l("Projection"),
}

ANALYSIS_LABELS = {
    "search": _l("Model search: every hierarchical model, ranked by the criterion"),
    "family": _l("The Rcapture family table (M0, Mt, Mh, Mth, Mb, Mbh)"),
    "model": _l("One chosen model"),
    "stepwise": _l("Stepwise selection (SparseMSE)"),
    "bootstrap": _l("Bootstrap interval (model selection repeated in each replicate)"),
}

CRITERIA = {"bic": _l("BIC"), "aic": _l("AIC")}
INTERVALS = {"lognormal": _l("Log-normal"), "profile": _l("Profile likelihood")}
STRATA = {"sex": _l("Sex")}
UPLOAD_KINDS = {
    "codes": _l("Client codes (column: code)"),
    "identifiers": _l("Identifiers (columns: family_name, given_name, birth_date, sex)"),
}
STATE_LABELS = {
    "queued": _l("Queued"),
    "running": _l("Running"),
    "succeeded": _l("Succeeded"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
}
PLOT_TITLES = {
    "models": _l("Model comparison: estimates with intervals, AIC and BIC"),
    "bootstrap": _l("Bootstrap distribution of the estimate"),
    "hiv": _l("HIV prevalence by year with Wilson intervals"),
    "retention": _l("Retention on treatment (Kaplan-Meier) with confidence bands"),
}
SCOPES = {
    "upload": _l("within the upload"),
    "registry": _l("against the registry"),
}
DECISIONS = {"accepted": _l("Same person"), "rejected": _l("Different people")}

LABELS = {
    "title": _l("Title"),
    "method": _l("Method"),
    "analysis": _l("Analysis"),
    "model": _l("Model"),
    "criterion": _l("Selection criterion"),
    "interval": _l("Interval"),
    "confidence": _l("Confidence level, %"),
    "max_order": _l("Highest interaction order"),
    "replicates": _l("Bootstrap replicates"),
    "seed": _l("Random seed"),
    "threshold": _l("Stepwise threshold (p-value)"),
    "lists": _l("Lists"),
    "period": _l("Period"),
    "area_code": _l("Area"),
    "strata": _l("Strata"),
    "source_name": _l("Source"),
    "kind": _l("File contents"),
    "file": _l("CSV file"),
    "decision": _l("Decision"),
}

HINTS = {
    "period": _l("An ISO period: a year (2003), a quarter (2003Q1) or a month (200301)."),
    "model": _l("For one chosen model: Mt, Mth, Mh Chao or a log-linear model like [12,3]."),
    "lists": _l("Capture-recapture needs two or more lists; count estimators exactly one."),
    "seed": _l("The same seed on unchanged data gives the same interval."),
    "source_name": _l("Who keeps the list, e.g. police or NGO outreach."),
    "file": _l(
        "UTF-8, comma or semicolon separated, with a header row. Identifiers are turned into "
        "codes while the file is read and are never stored."
    ),
    "strata": _l("Estimate separately for each value and add the estimates."),
}

#: An ISO period as the services take it: a year, a quarter or a month (2003, 2003Q1, 200301).
ISO_PERIOD = r"^\d{4}(Q[1-4]|0[1-9]|1[0-2])?$"
PERIOD_MESSAGE = _l("Give the period as a year (2003), a quarter (2003Q1) or a month (200301).")


def _period() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Regexp(ISO_PERIOD, error=PERIOD_MESSAGE),
        error_messages=_messages(),
    )


#: Posted fields that become ``parameters`` of a capture-recapture study.
CR_PARAMETERS = ("analysis", "criterion", "interval", "max_order", "model", "threshold")


def _integer(low: int, high: int) -> fields.Integer:
    return fields.Integer(
        load_default=None,
        validate=between(low, high),
        error_messages=_messages(invalid=_l("Enter a whole number.")),
    )


class NewStudyFormSchema(FormSchema):
    """The new-study form; ``load`` returns :func:`create_study`'s ``data``."""

    title = fields.String(load_default="", validate=max_length(200))
    method = fields.String(required=True, validate=choice(METHOD_LABELS))
    analysis = fields.String(load_default="search", validate=choice(ANALYSIS_LABELS))
    model = fields.String(load_default=None, validate=max_length(60))
    criterion = fields.String(load_default="bic", validate=choice(CRITERIA))
    interval = fields.String(load_default="lognormal", validate=choice(INTERVALS))
    confidence = _integer(50, 99)
    max_order = _integer(1, 6)
    replicates = _integer(10, 10_000)
    seed = _integer(0, 2**31 - 1)
    threshold = fields.Float(
        load_default=None, error_messages=_messages(invalid=_l("Enter a number."))
    )
    lists = fields.List(
        fields.String(validate=max_length(40)),
        required=True,
        error_messages=_messages(),
    )
    period = _period()
    area_code = fields.String(required=True, validate=max_length(32))
    strata = fields.String(load_default=None, validate=choice(STRATA))

    @post_load
    def to_study(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Nest the method's parameters; leave out what does not apply to it."""
        parameters: dict[str, Any] = {}
        if data["confidence"] is not None:
            parameters["alpha"] = round(1 - data["confidence"] / 100, 4)
        if data["method"] == "capture_recapture":
            parameters.update({k: data[k] for k in CR_PARAMETERS if data.get(k) not in (None, "")})
            if data["analysis"] == "bootstrap":
                for key in ("replicates", "seed"):
                    if data[key] is not None:
                        parameters[key] = data[key]
        return {
            "title": data["title"],
            "method": data["method"],
            "parameters": parameters,
            "lists": data["lists"],
            "period": data["period"],
            "area_code": data["area_code"],
            "strata": data["strata"],
        }


class UploadFormSchema(FormSchema):
    """The upload form's fields besides the file (checked by the upload service)."""

    source_name = fields.String(required=True, validate=max_length(64))
    kind = fields.String(required=True, validate=choice(UPLOAD_KINDS))
    period = _period()
    area_code = fields.String(required=True, validate=max_length(32))


class DecisionSchema(FormSchema):
    """Accept or reject one potential duplicate pair."""

    decision = fields.String(required=True, validate=choice(DECISIONS))
