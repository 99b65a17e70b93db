"""Results as people read them: parameters as a table, model names in list names, dates.

What the result and job pages show instead of codes: a study's parameters as labelled
rows (never raw JSON), a model such as ``[13,23]`` with its lists' names, the default
title of a study in the page's language, scenario, Cox and curve names translated, and
dates as dd.mm.yyyy on Russian pages (``Dec 30, 2004`` on English ones).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from babel import dates, numbers
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from jinja2.runtime import Context

from registry.models import Study
from registry.services.methods import METHODS
from registry.services.methods.capture_recapture_result import NestedList, nested_message
from registry.services.methods.model_names import (
    explain_model,
    linkage_names,
    list_name,
    result_list_names,
)
from registry.services.methods.payload import EstimateEntry
from registry.services.methods.projection import SCENARIO_NAMES
from registry.services.methods.retention import COX_TERMS
from registry.studies_web import blueprint
from registry.studies_web.forms import CONFIDENCE_LEVELS, PARAMETER_LABELS, YES_NO
from registry.web import _day_text, page_locale

#: Short names of the methods, for default study titles ("Capture-recapture 2003").
SHORT_NAMES = {
    "capture_recapture": _l("Capture-recapture"),
    "count_estimators": _l("Count estimators"),
    "multiplier": _l("Multiplier"),
    "hiv_trend": _l("HIV prevalence trend"),
    "retention": _l("Retention on OST"),
    "coverage": _l("OST coverage"),
    "projection": _l("Projection"),
    "synthesis": _l("Synthesis"),
    "mim": _l("Multivariate indicator method"),
}
SURVEY_TEXT = _l("%(label)s: %(in_benchmark)s of %(sample_size)s (design effect %(deff)s)")
INPUT_TEXT = _l("job #%(job)s, weight %(weight)s")
DATE_PARAMETERS = ("census_date", "analysis_date")
#: What a fitted model's ``status`` means (the estimation library's message is English).
MODEL_NOTES = {
    "no_mle": _l(
        "No maximum likelihood estimate: zero cells send parameters to infinity "
        "(the figures are those of the extended estimate)."
    ),
    "not_converged": _l("The fit did not converge."),
    "not_identifiable": _l("Not identifiable: the design is not of full rank."),
    "boundary": _l("A heterogeneity parameter is at its boundary (set to 0)."),
}
#: Labels of the parameters as a result used them (the form's labels say how to fill them).
USED_LABELS = {
    "criterion_used": _l("Criterion used"),
    "ranking": _l("Models ranked by"),
    "delta": _l("Hyper-Dirichlet prior per cell (delta)"),
    "chains": _l("Chains"),
    "classes": _l("Latent classes (K)"),
    "concentration_prior": _l("Prior of the concentration (a_α; b_α)"),
    "burn_in": _l("Burn-in iterations per chain"),
    "samples": _l("Draws kept per chain"),
    "thinning": _l("Thinning (one draw kept every)"),
}
BIAS_NOTE = _l("The asymptotic bias is large: over a tenth of the estimate.")


def study_title(study: Study) -> str:
    """The study's title; the default one (``"<method> <period>"``) in the page's language."""
    if study.title == f"{study.method} {study.period}" and study.method in SHORT_NAMES:
        return f"{SHORT_NAMES[study.method]} {study.period}"
    return study.title


def model_note(model: EstimateEntry) -> str:
    """The note of a fitted model in the page's language (its status, or a large bias)."""
    note = MODEL_NOTES.get(str(model.status or ""))
    if note is not None:
        return str(note)
    message = str(model.message or "")
    if message.startswith("the asymptotic bias is large"):
        return str(BIAS_NOTE)
    return message


#: Why a Cox model was not fitted (the estimation library's English message, by its start).
COX_ERRORS = {
    "no subjects": _l("No client to fit the Cox model on."),
    "every subject is censored": _l(
        "No client has left treatment: hazard ratios cannot be estimated."
    ),
    "the Cox model needs at least one covariate": _l(
        "Dose group and sex are the same for every client: there is nothing to compare."
    ),
    "covariates without variation": _l(
        "Dose group and sex are the same for every client: there is nothing to compare."
    ),
    "the Cox model could not be fitted": _l("The Cox model could not be fitted."),
}


def cox_error(message: str) -> str:
    """Why the Cox model is missing, in the page's language."""
    for start, text in COX_ERRORS.items():
        if message.startswith(start):
            return str(text)
    return message


def scenario_name(name: str) -> str:
    """A projection scenario's name: the default ones translated, typed ones as typed."""
    label = SCENARIO_NAMES.get(name)
    return str(label) if label is not None else name


def _number(value: float | int, locale: str) -> str:
    return numbers.format_decimal(value, "#,##0.####", locale=locale)


def parameter_value(method: str, name: str, value: Any, locale: str) -> str:
    """One parameter's value as text: choices by label, dates, levels, surveys, scenarios."""
    choices = METHODS[method].choices.get(name) if method in METHODS else None
    if isinstance(value, bool):
        return str(YES_NO["true" if value else "false"])
    if choices and isinstance(value, list):  # several codes (MIM's indicators)
        return "; ".join(str(choices.get(item, item)) for item in value)
    if choices and value in choices:
        return str(choices[value])
    if name == "anchor_studies" and isinstance(value, list):
        return ", ".join(f"#{item}" for item in value)
    if name == "alpha":
        return CONFIDENCE_LEVELS.get(f"{value:g}", f"{100 * (1 - float(value)):g}%")
    if name in DATE_PARAMETERS and isinstance(value, str):
        return _day_text(date.fromisoformat(value), locale)
    if name == "scenarios" and isinstance(value, dict):
        return "; ".join(
            f"{scenario_name(k)}: {_number(low, locale)} – {_number(high, locale)} %"
            for k, (low, high) in value.items()
        )
    if name == "surveys" and isinstance(value, list):
        return "; ".join(
            str(SURVEY_TEXT) % {
                "label": s.get("label") or i + 1,
                "in_benchmark": _number(s["in_benchmark"], locale),
                "sample_size": _number(s["sample_size"], locale),
                "deff": _number(s.get("design_effect") or 1, locale),
            }
            for i, s in enumerate(value)
        )  # fmt: skip
    if name == "inputs" and isinstance(value, list):
        return "; ".join(
            str(INPUT_TEXT) % {"job": i["job"], "weight": _number(i.get("weight", 1), locale)}
            for i in value
        )
    if name == "source_job":
        return str(value)
    if name == "delta" and isinstance(value, int | float):  # 2^-5 = 0.03125, unrounded
        return numbers.format_decimal(value, "0.##########", locale=locale)
    if name == "concentration_prior" and isinstance(value, list | tuple) and len(value) == 2:
        return f"Gamma({_number(value[0], locale)}; {_number(value[1], locale)})"
    if isinstance(value, int | float):
        return str(value) if name == "seed" else _number(value, locale)
    return str(value)


def parameter_rows(method: str, parameters: dict[str, Any], locale: str) -> list[tuple[str, str]]:
    """``[(label, value)]`` of the parameters that are set, in the schema's order."""
    schema = METHODS[method].parameters() if method in METHODS else None
    order = list(schema.fields) if schema else []
    names = sorted(parameters, key=lambda k: order.index(k) if k in order else len(order))
    return [
        (str(PARAMETER_LABELS.get(name, name)), parameter_value(method, name, value, locale))
        for name in names
        if (value := parameters[name]) is not None and value != ""
    ]


def result_parameter_rows(
    method: str, payload: Any, stored: dict[str, Any] | None, locale: str
) -> list[tuple[str, str]]:
    """The result page's parameters: those its analysis used, with the values it used
    (:attr:`Method.parameters_used`), else the stored ones (:func:`parameter_rows`)."""
    spec = METHODS.get(method)
    used = spec.parameters_used(payload) if spec and spec.parameters_used else None
    if used is None:
        return parameter_rows(method, stored or {}, locale)
    return [
        (str(USED_LABELS.get(name) or PARAMETER_LABELS.get(name, name)),
         parameter_value(method, name, value, locale))
        for name, value in used.items()
    ]  # fmt: skip


def nested_list_message(entry: Any, linkage: Any) -> str:
    """The nested-lists warning of a result's warning (``list_a``, ``list_b`` ...) or of
    an overlap report's ``nested_lists`` entry, its lists by their page names."""
    get = entry.get if isinstance(entry, dict) else lambda key: getattr(entry, key, None)
    pair = NestedList(list=get("list") or get("list_a"), within=get("within") or get("list_b"),
                      share=get("share"), exact=get("exact"), mutual=get("mutual"))  # fmt: skip
    return nested_message(pair, linkage_names(linkage or {}))


@blueprint.app_template_filter("when")
@pass_context
def when_filter(context: Context, value: datetime | None) -> str:
    """A moment as people read it: 06.12.2026 00:15 in Russian, Dec 6, 2026, 12:15 AM in
    English (in the user's time zone, as Flask-Babel gives it)."""
    if value is None:
        return ""
    russian = page_locale(context) == "ru"
    return format_datetime(value, "dd.MM.yyyy HH:mm" if russian else "MMM d, yyyy HH:mm")


@blueprint.app_template_filter("utc_when")
@pass_context
def utc_when_filter(context: Context, value: str | None) -> str:
    """An ISO moment (``"2026-12-06T00:28:00+00:00"``) in UTC, as :func:`when_filter`
    writes moments (for texts that say "UTC")."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value).astimezone(UTC)
    locale = page_locale(context)
    pattern = "dd.MM.yyyy HH:mm" if locale == "ru" else "MMM d, yyyy HH:mm"
    return dates.format_datetime(moment, pattern, tzinfo=UTC, locale=locale)


@blueprint.app_template_filter("iso_day")
@pass_context
def iso_day_filter(context: Context, value: str | date | None) -> str:
    """An ISO date string of a payload (``"2003-12-31"``) as the ``day`` filter writes it."""
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return _day_text(day, page_locale(context))


@blueprint.context_processor
def readable_results() -> dict[str, Any]:
    """The helpers above, for the studies templates."""
    return {
        "study_title": study_title,
        "scenario_name": scenario_name,
        "model_note": model_note,
        "cox_error": cox_error,
        "short_methods": SHORT_NAMES,
        "parameter_rows": parameter_rows,
        "nested_list_message": nested_list_message,
        "result_parameter_rows": result_parameter_rows,
        "explain_model": explain_model,
        "result_list_names": result_list_names,
        "list_entry_name": list_name,
        "linkage_names": linkage_names,
        "cox_terms": COX_TERMS,
    }
