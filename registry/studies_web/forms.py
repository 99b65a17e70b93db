"""Labels and choices of the epidemiologist's HTML forms, and the upload and review schemas.

The new-study form has no schema of its own: it posts the API's names
(``method``, ``lists``, ``parameters/alpha``, ``parameters/surveys/0/in_benchmark`` ...)
and is loaded by :class:`registry.schemas.studies.StudySchema`, whose errors come back
under the same names. Business rules (known lists, known area, a valid ISO period, how
many lists a method needs) stay in the services and the method modules.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields

from registry.schemas.base import FormSchema, _messages, choice, max_length
from registry.services.errors import ServiceError
from registry.services.methods import METHODS
from registry.services.periods import parse_period

#: The methods, in the order the form offers them.
METHOD_LABELS = {name: method.label for name, method in METHODS.items()}
YES_NO = {"false": _l("No"), "true": _l("Yes")}
#: The confidence levels the form offers, as the ``alpha`` they post.
CONFIDENCE_LEVELS = {"0.1": "90%", "0.05": "95%", "0.01": "99%"}
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
PLOT_TITLES = {name: title for m in METHODS.values() for name, title in m.plot_titles.items()}
SCOPES = {
    "upload": _l("within the upload"),
    "registry": _l("against the registry"),
}
DECISIONS = {"accepted": _l("Same person"), "rejected": _l("Different people")}

#: Labels of the parameters, by name (the same name means the same thing in every method).
PARAMETER_LABELS = {
    "analysis": _l("Analysis"),
    "model": _l("Model"),
    "heterogeneity": _l("Heterogeneity"),
    "criterion": _l("Selection criterion"),
    "interval": _l("Interval"),
    "alpha": _l("Confidence level"),
    "max_order": _l("Highest interaction order"),
    "replicates": _l("Bootstrap replicates"),
    "seed": _l("Random seed"),
    "threshold": _l("Stepwise threshold (p-value)"),
    "years": _l("Years up to the period"),
    "benchmark": _l("Benchmark count (if no list is chosen)"),
    "surveys": _l("Surveys"),
    "random_effects": _l("Pool with random effects"),
    "max_gap_days": _l("Interruption: days without a dose"),
    "analysis_date": _l("Analysis (censoring) date"),
    "group": _l("Compare by"),
    "cox": _l("Cox model"),
    "census_date": _l("Census date"),
    "source_job": _l("Estimate from job number"),
    "estimate": _l("Or typed estimate of opioid-dependent people who inject drugs"),
    "estimate_low": _l("Its interval: lower bound"),
    "estimate_high": _l("Its interval: upper bound"),
    "base": _l("Or typed base value"),
    "base_low": _l("Base range: lower bound"),
    "base_high": _l("Base range: upper bound"),
    "horizon": _l("Years ahead"),
    "scenarios": _l("Scenarios (annual growth, %)"),
    "key_population": _l("Population estimated"),
    "anchor_studies": _l("Anchor studies"),
    "indicators": _l("Indicators"),
    "components": _l("Principal components used"),
}
#: Survey rows of the multiplier's form (the API takes up to five), and their labels.
SURVEY_ROWS = range(3)
SURVEY_LABELS = {
    f"parameters/surveys/{i}/{key}": label
    for i in SURVEY_ROWS
    for key, label in (
        ("label", _l("Survey %(n)s: name", n=i + 1)),
        ("in_benchmark", _l("Survey %(n)s: respondents in the benchmark", n=i + 1)),
        ("sample_size", _l("Survey %(n)s: sample size", n=i + 1)),
        ("design_effect", _l("Survey %(n)s: design effect", n=i + 1)),
    )
}
#: Anchor rows of the MIM form (the API takes up to thirty), and their labels.
ANCHOR_ROWS = range(6)
ANCHOR_LABELS = {f"parameters/anchor_studies/{i}": _l("Anchor %(n)s", n=i + 1) for i in ANCHOR_ROWS}

LABELS = {
    "title": _l("Title"),
    "method": _l("Method"),
    "lists": _l("Lists"),
    "period": _l("Period"),
    "area_code": _l("Area"),
    "strata": _l("Strata"),
    "parameters": _l("Parameters"),
    "source_name": _l("Source"),
    "kind": _l("File contents"),
    "file": _l("CSV file"),
    "decision": _l("Decision"),
    **{f"parameters/{name}": label for name, label in PARAMETER_LABELS.items()},
    **SURVEY_LABELS,
    **ANCHOR_LABELS,
}


HINTS = {
    "period": _l(
        "An ISO period: a year (2003), a half-year (2003S1), a quarter (2003Q1) or a month "
        "(200301)."
    ),
    "parameters/model": _l(
        "For one chosen model: M0, Mt, Mh, Mth, Mb, Mbh or a log-linear model like [12,3]; Mh "
        "and Mth use the heterogeneity chosen here (Chao if none)."
    ),
    "lists": _l(
        "Capture-recapture needs two or more lists; count estimators exactly one; the other "
        "methods choose their own or none."
    ),
    "parameters/seed": _l("The same seed on unchanged data gives the same interval."),
    "source_name": _l("Who keeps the list, e.g. police or NGO outreach."),
    "file": _l(
        "UTF-8, UTF-16 or Windows-1251 (Excel's “CSV”), comma or semicolon separated, with a "
        "header row. Identifiers are turned into codes while the file is read and are never "
        "stored."
    ),
    "strata": _l("Estimate separately for each value and add the estimates."),
    "parameters/benchmark": _l("Leave empty to count the people on the one list chosen above."),
    "parameters/max_gap_days": _l("A longer gap ends the episode (Kyrgyz protocol: 2 days)."),
    "parameters/analysis_date": _l("Empty: the last dose recorded for the cohort."),
    "parameters/census_date": _l("Empty: the last day of the period."),
    "parameters/source_job": _l("A succeeded capture-recapture, count or multiplier job."),
    "parameters/key_population": _l(
        "Which population the estimate is of. Coverage and projection: only for a typed "
        "value (a job's estimate brings its own); OST coverage needs opioid-dependent "
        "people who inject drugs."
    ),
    "parameters/scenarios": _l(
        "NAME=LOW:HIGH separated by semicolons, e.g. trend=5:7; best=-3:-2."
    ),
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


class UploadFormSchema(FormSchema):
    """The upload form's fields besides the file (checked by the upload service)."""

    source_name = fields.String(required=True, validate=max_length(64))
    kind = fields.String(required=True, validate=choice(UPLOAD_KINDS))
    period = _period()
    area_code = fields.String(required=True, validate=max_length(32))


class DecisionSchema(FormSchema):
    """Accept or reject one potential duplicate pair."""

    decision = fields.String(required=True, validate=choice(DECISIONS))
