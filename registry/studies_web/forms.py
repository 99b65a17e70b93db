"""Labels and choices of the epidemiologist's HTML forms, and the review schema.

The new-study and upload forms have no schema of their own. The upload form is loaded by
:class:`registry.schemas.studies.UploadFieldsSchema`, the rules of ``POST /api/uploads``;
the new-study form posts the API's names
(``method``, ``lists``, ``parameters/alpha``, ``parameters/surveys/0/in_benchmark`` ...)
and is loaded by :class:`registry.schemas.studies.StudySchema`, whose errors come back
under the same names. Business rules (known lists, known area, a valid ISO period, how
many lists a method needs) stay in the services and the method modules.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields

from registry.schemas.base import FormSchema, choice
from registry.services import uploads
from registry.services.methods import METHODS

#: The methods, in the order the form offers them.
METHOD_LABELS = {name: method.label for name, method in METHODS.items()}
YES_NO = {"false": _l("No"), "true": _l("Yes")}
#: The confidence levels the form offers, as the ``alpha`` they post.
CONFIDENCE_LEVELS = {"0.1": "90%", "0.05": "95%", "0.01": "99%"}
STRATA = {"sex": _l("Sex")}
UPLOAD_KINDS = uploads.KINDS
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
    "delta": _l("dga: hyper-Dirichlet prior per cell (empty: 2^-k)"),
    "chains": _l("LCMCR: chains"),
    "inputs": _l("Results to combine"),
    "tau_scale": _l("Prior scale of the heterogeneity (log scale)"),
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
#: Result rows of the synthesis's form (the API takes up to eight), and their labels.
INPUT_ROWS = range(4)
INPUT_LABELS = {
    f"parameters/inputs/{i}/{key}": label
    for i in INPUT_ROWS
    for key, label in (
        ("job", _l("Result %(n)s", n=i + 1)),
        ("weight", _l("Result %(n)s: confidence weight", n=i + 1)),
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
    **INPUT_LABELS,
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
    "parameters/tau_scale": _l(
        "Half-normal prior on how much the methods' targets differ: 0.5 (the default) "
        "allows a factor of up to about 2.7; 0 assumes no difference."
    ),
    "parameters/scenarios": _l(
        "NAME=LOW:HIGH separated by semicolons, e.g. trend=5:7; best=-3:-2."
    ),
}


class DecisionSchema(FormSchema):
    """Accept or reject one potential duplicate pair."""

    decision = fields.String(required=True, validate=choice(DECISIONS))
