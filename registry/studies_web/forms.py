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
from marshmallow import ValidationError, fields, post_load, validates_schema

from estimation.projection import parse_scenario
from registry.schemas.base import (
    INVALID_DATE,
    REQUIRED,
    FormSchema,
    _messages,
    between,
    choice,
    max_length,
)
from registry.schemas.studies import LISTLESS_METHODS
from registry.services.errors import ServiceError
from registry.services.periods import parse_period

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
    "average": _l("Model average: all hierarchical models weighted by the criterion (recommended)"),
    "search": _l("Model search: every hierarchical model, ranked by the criterion"),
    "family": _l("The Rcapture family table (M0, Mt, Mh, Mth, Mb, Mbh)"),
    "model": _l("One chosen model"),
    "stepwise": _l("Stepwise selection (SparseMSE)"),
    "bootstrap": _l("Bootstrap interval (model selection repeated in each replicate)"),
}

CRITERIA = {"aic": _l("AIC"), "bic": _l("BIC")}
INTERVALS = {"lognormal": _l("Log-normal"), "profile": _l("Profile likelihood")}
MULTIPLIER_INTERVALS = {
    "log": _l("Log scale (delta method)"),
    "delta": _l("Delta method"),
    "wilson": _l("Wilson interval of the proportion"),
    "montecarlo": _l("Monte Carlo"),
}
RETENTION_GROUPS = {"dose": _l("Dose (adequate vs low)"), "sex": _l("Sex")}
YES_NO = {"no": _l("No"), "yes": _l("Yes")}
#: Survey proportions the form offers for a multiplier (the API takes up to five).
SURVEY_ROWS = (1, 2, 3)
SURVEY_FIELDS = ("label", "in_benchmark", "sample_size", "design_effect")
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
    "benchmark": _l("Benchmark count (if no list is chosen)"),
    "multiplier_interval": _l("Interval of the multiplier"),
    "random_effects": _l("Pool with random effects"),
    "max_gap_days": _l("Interruption: days without a dose"),
    "analysis_date": _l("Analysis (censoring) date"),
    "group": _l("Compare by"),
    "cox": _l("Cox model"),
    "census_date": _l("Census date"),
    "source_job": _l("Estimate from job number"),
    "estimate": _l("Or typed estimate of people who inject opioids"),
    "estimate_low": _l("Its interval: lower bound"),
    "estimate_high": _l("Its interval: upper bound"),
    "base": _l("Or typed base value"),
    "base_low": _l("Base range: lower bound"),
    "base_high": _l("Base range: upper bound"),
    "horizon": _l("Years ahead"),
    "scenarios": _l("Scenarios (annual growth, %)"),
    **{
        f"survey_{i}_{key}": label
        for i in SURVEY_ROWS
        for key, label in (
            ("label", _l("Survey %(n)s: name", n=i)),
            ("in_benchmark", _l("Survey %(n)s: respondents in the benchmark", n=i)),
            ("sample_size", _l("Survey %(n)s: sample size", n=i)),
            ("design_effect", _l("Survey %(n)s: design effect", n=i)),
        )
    },  # fmt: skip
}

HINTS = {
    "period": _l("An ISO period: a year (2003), a quarter (2003Q1) or a month (200301)."),
    "model": _l("For one chosen model: Mt, Mth, Mh Chao or a log-linear model like [12,3]."),
    "lists": _l("Capture-recapture needs two or more lists; count estimators exactly one."),
    "seed": _l("The same seed on unchanged data gives the same interval."),
    "source_name": _l("Who keeps the list, e.g. police or NGO outreach."),
    "file": _l(
        "UTF-8, UTF-16 or Windows-1251 (Excel's “CSV”), comma or semicolon separated, with a "
        "header row. Identifiers are turned into codes while the file is read and are never "
        "stored."
    ),
    "strata": _l("Estimate separately for each value and add the estimates."),
    "benchmark": _l("Leave empty to count the people on the one list chosen above."),
    "max_gap_days": _l("A longer gap ends the episode (Kyrgyz protocol: 2 days)."),
    "analysis_date": _l("Empty: the last dose recorded for the cohort."),
    "census_date": _l("Empty: the last day of the period."),
    "source_job": _l("A succeeded capture-recapture, count or multiplier job."),
    "scenarios": _l("NAME=LOW:HIGH separated by semicolons, e.g. trend=5:7; best=-3:-2."),
}


def iso_period(value: str) -> None:
    """Validator: an ISO period as the services take it (a year, a quarter or a month of
    1900..2100), checked by the services' own parser so the form cannot let through a
    period the service would refuse."""
    try:
        parse_period(value)
    except ServiceError as error:
        raise ValidationError([error.message]) from None


def _period() -> fields.String:
    return fields.String(required=True, validate=iso_period, error_messages=_messages())


#: Posted fields that become ``parameters`` of a capture-recapture study.
CR_PARAMETERS = ("analysis", "criterion", "interval", "max_order", "model", "threshold")


def _number() -> fields.Float:
    return fields.Float(
        load_default=None,
        validate=between(0, 10**9),
        error_messages=_messages(invalid=_l("Enter a number.")),
    )


def _integer(low: int, high: int) -> fields.Integer:
    return fields.Integer(
        load_default=None,
        validate=between(low, high),
        error_messages=_messages(invalid=_l("Enter a whole number.")),
    )


def _survey_field(name: str) -> fields.Field:
    if name == "label":
        return fields.String(load_default=None, validate=max_length(60))
    return _number() if name == "design_effect" else _integer(1, 10**7)


#: The multiplier's survey rows: ``survey_<row>_<field>`` for each of :data:`SURVEY_ROWS`.
SurveyRowsSchema = FormSchema.from_dict(
    {f"survey_{row}_{name}": _survey_field(name) for row in SURVEY_ROWS for name in SURVEY_FIELDS},
    name="SurveyRowsSchema",
)


class NewStudyFormSchema(SurveyRowsSchema):
    """The new-study form; ``load`` returns :func:`create_study`'s ``data``."""

    title = fields.String(load_default="", validate=max_length(200))
    method = fields.String(required=True, validate=choice(METHOD_LABELS))
    analysis = fields.String(load_default="average", validate=choice(ANALYSIS_LABELS))
    model = fields.String(load_default=None, validate=max_length(60))
    criterion = fields.String(load_default="aic", validate=choice(CRITERIA))
    interval = fields.String(load_default="lognormal", validate=choice(INTERVALS))
    confidence = _integer(50, 99)
    max_order = _integer(1, 6)
    replicates = _integer(10, 10_000)
    seed = _integer(0, 2**31 - 1)
    threshold = fields.Float(
        load_default=None, error_messages=_messages(invalid=_l("Enter a number."))
    )
    lists = fields.List(fields.String(validate=max_length(40)), load_default=list)
    period = _period()
    area_code = fields.String(required=True, validate=max_length(32))
    strata = fields.String(load_default=None, validate=choice(STRATA))
    benchmark = _integer(1, 10**8)
    multiplier_interval = fields.String(load_default="log", validate=choice(MULTIPLIER_INTERVALS))
    random_effects = fields.String(load_default="no", validate=choice(YES_NO))
    max_gap_days = _integer(0, 60)
    analysis_date = fields.Date(load_default=None, error_messages=_messages(invalid=INVALID_DATE))
    group = fields.String(load_default="dose", validate=choice(RETENTION_GROUPS))
    cox = fields.String(load_default="no", validate=choice(YES_NO))
    census_date = fields.Date(load_default=None, error_messages=_messages(invalid=INVALID_DATE))
    source_job = _integer(1, 2**31 - 1)
    estimate, estimate_low, estimate_high = _number(), _number(), _number()
    base, base_low, base_high = _number(), _number(), _number()
    horizon = _integer(1, 5)
    scenarios = fields.String(load_default=None, validate=max_length(200))

    @validates_schema(skip_on_field_errors=False)
    def _lists_needed(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("lists") and data.get("method") not in LISTLESS_METHODS:
            raise ValidationError(REQUIRED, field_name="lists")

    @validates_schema
    def _scenarios(self, data: dict[str, Any], **_: Any) -> None:
        try:
            scenario_parameters(data.get("scenarios"))
        except ValueError:
            raise ValidationError(SCENARIO_MESSAGE, field_name="scenarios") from None

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
        if data["method"] in METHOD_PARAMETERS:
            parameters.update(METHOD_PARAMETERS[data["method"]](data))
        return {
            "title": data["title"],
            "method": data["method"],
            "parameters": parameters,
            "lists": data["lists"],
            "period": data["period"],
            "area_code": data["area_code"],
            "strata": data["strata"],
        }


SCENARIO_MESSAGE = _l("Write each scenario as NAME=LOW:HIGH, separated by semicolons.")


def scenario_parameters(text: str | None) -> dict[str, list[float]] | None:
    """``"trend=5:7; best=-3:-2"`` as ``{"trend": [5, 7], ...}``; ``None`` if blank."""
    if not text:
        return None
    parts = [parse_scenario(part) for part in text.split(";") if part.strip()]
    if not parts:
        raise ValueError("no scenario")
    return {name: list(bounds) for name, bounds in parts}


def _picked(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: data[name] for name in names if data.get(name) is not None}


def _multiplier(data: dict[str, Any]) -> dict[str, Any]:
    surveys = []
    for i in SURVEY_ROWS:
        row = {key: data.get(f"survey_{i}_{key}") for key in SURVEY_FIELDS}
        if any(value is not None for value in row.values()):
            surveys.append({k: v for k, v in row.items() if v is not None})
    return {**_picked(data, ("benchmark", "seed")), "surveys": surveys,
            "interval": data["multiplier_interval"],
            "random_effects": data["random_effects"] == "yes"}  # fmt: skip


def _retention(data: dict[str, Any]) -> dict[str, Any]:
    day = data.get("analysis_date")
    return {**_picked(data, ("max_gap_days",)), "analysis_date": day.isoformat() if day else None,
            "group": data["group"], "cox": data["cox"] == "yes"}  # fmt: skip


def _coverage(data: dict[str, Any]) -> dict[str, Any]:
    day = data.get("census_date")
    return {**_picked(data, ("source_job", "estimate", "estimate_low", "estimate_high")),
            "census_date": day.isoformat() if day else None}  # fmt: skip


def _projection(data: dict[str, Any]) -> dict[str, Any]:
    scenarios = scenario_parameters(data.get("scenarios"))
    names = ("source_job", "base", "base_low", "base_high", "horizon")
    return {**_picked(data, names), **({"scenarios": scenarios} if scenarios else {})}


#: The new-study form's fields that become each of these methods' parameters.
METHOD_PARAMETERS = {
    "multiplier": _multiplier,
    "retention": _retention,
    "coverage": _coverage,
    "projection": _projection,
}


def form_errors(method: str, messages: dict[str, Any]) -> dict[str, Any]:
    """A service's parameter errors (``{"parameters": {...}}``) keyed by the form's fields."""
    flat: dict[str, Any] = {k: v for k, v in messages.items() if k != "parameters"}
    for key, value in (messages.get("parameters") or {}).items():
        if key == "surveys" and isinstance(value, dict):
            for index, sub in value.items():
                for name, texts in sub.items() if isinstance(sub, dict) else [("", sub)]:
                    flat[f"survey_{int(index) + 1}_{name or 'in_benchmark'}"] = texts
        elif key == "surveys":
            flat["survey_1_in_benchmark"] = value
        elif key == "interval" and method == "multiplier":
            flat["multiplier_interval"] = value
        else:
            flat[key] = value
    return flat


class UploadFormSchema(FormSchema):
    """The upload form's fields besides the file (checked by the upload service)."""

    source_name = fields.String(required=True, validate=max_length(64))
    kind = fields.String(required=True, validate=choice(UPLOAD_KINDS))
    period = _period()
    area_code = fields.String(required=True, validate=max_length(32))


class DecisionSchema(FormSchema):
    """Accept or reject one potential duplicate pair."""

    decision = fields.String(required=True, validate=choice(DECISIONS))
