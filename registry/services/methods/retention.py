"""Retention studies: time on OST of the clients initiated in the period (Kaplan-Meier, Cox).

The cohort is every OST enrolment started in the period at a centre in the area (a
transfer in is not an initiation). Its dosing days (observed and take-home doses; a
take-home dose covers its days) are cut into episodes by the interruption rule
(:func:`estimation.episodes.episodes_from_doses`, a gap of more than ``max_gap_days``
without a dose ends an episode); retention is the first episode. An episode that ended
with a transfer to another site is censored, not an event. Retention at 6 and 12 months
is the Kaplan-Meier survival at 182 and 365 days (:mod:`estimation.retention`).

Parameters::

    {"max_gap_days": 2,              # Kyrgyz 2015 protocol
     "analysis_date": "2004-12-31" or null,   # censoring date; null: the cohort's last dose
     "group": "dose",                # the curves plotted beside the overall one: dose / sex
     "cox": false,                   # also fit a Cox model (adequate dose, male)
     "alpha": 0.05}

Payload (durations in days; the curves' times in months of 365.25/12 days, for the plot;
typed: :class:`.retention_result.RetentionResult`)::

    {"method": "retention", "analysis_date": "2004-12-31", "max_gap_days": 2,
     "cohort": 120, "without_doses": 3,
     "person_years": 80.5,            # of the cohort's first episodes, to the analysis date
     "overall": {"n", "events", "median_days", "median_ci": [low, high],
                 "at_6_months": {"survival", "ci_low", "ci_high"}, "at_12_months": {...}},
     "groups": {"dose": {"levels": {"adequate": {...as overall...}, "low": {...}},
                         "logrank": {"chi_square", "p_value", "df"} or null},
                "sex": {"levels": {"F": {...}, "M": {...}}, "logrank": ...}},
     "cox": {"terms": [{"term", "hazard_ratio", "ci_low", "ci_high", "p_value"}]}
            or {"error": "..."} or null,
     "curves": {"all": {"times", "survival", "ci_low", "ci_high"}, "adequate dose": ...}}

An adequate dose is an episode median of at least 60 mg methadone or 8 mg buprenorphine
(DOMAIN §4 minimum dose).
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pandas as pd
from flask_babel import lazy_gettext as _l

from estimation.cox import cox_hazard_ratios
from estimation.episodes import KYRGYZ_MAX_GAP_DAYS, episodes_from_doses
from estimation.retention import RetentionCurve, kaplan_meier, logrank_test
from registry import plots as drawing
from registry.models import Study
from registry.models.users import User
from registry.schemas.base import code, day, flag, integer
from registry.services.errors import ServiceError
from registry.services.methods import sources
from registry.services.methods.base import (
    Checkpoint,
    Computed,
    Method,
    ParametersSchema,
    alpha_field,
    num,
    parameter_error,
)
from registry.services.methods.retention_result import (
    RETENTION_DAYS,
    RetentionResult,
    curves,
    retention_warnings,
    rows,
)

GROUPS = {"dose": _l("Dose (adequate vs low)"), "sex": _l("Sex")}
#: Minimum adequate maintenance dose in mg, by medication (DOMAIN §4).
MINIMUM_DOSE = {"methadone": 60.0, "buprenorphine": 8.0}
DAYS_PER_MONTH = 365.25 / 12
CURVE_LABELS = {"adequate": "adequate dose", "low": "low dose"}
#: The curves' names (payload keys) as the plot's legend shows them.
CURVE_NAMES = {
    "all": _l("All clients"),
    "adequate dose": _l("Adequate dose"),
    "low dose": _l("Lower dose"),
    "F": _l("Women"),
    "M": _l("Men"),
}
#: The Cox model's covariates as the result page names them.
COX_TERMS = {"adequate_dose": _l("Adequate dose"), "male": _l("Men (against women)")}


class Parameters(ParametersSchema):
    """A retention study's parameters (see the module docstring)."""

    max_gap_days = integer(0, 60, default=KYRGYZ_MAX_GAP_DAYS)
    analysis_date = day()
    group = code(GROUPS, default="dose")
    cox = flag(default=False)
    alpha = alpha_field()


def check(refs: list[str], p: dict[str, Any], *, actor: User, period: tuple[date, date]) -> list:
    """The cohort comes from the registry's OST records; the analysis date is in range."""
    if refs not in ([], ["registry:ost"]):
        raise ServiceError(_l("Retention uses the registry's OST records only."), "lists")
    if p["analysis_date"] and date.fromisoformat(p["analysis_date"]) < period[0]:
        raise parameter_error("analysis_date", _l("The analysis date precedes the period."))
    return ["registry:ost"]


def _curve(curve: RetentionCurve) -> dict[str, list[float | None]]:
    return {"times": [t / DAYS_PER_MONTH for t in curve.times],
            "survival": list(curve.survival), "ci_low": list(curve.ci_low),
            "ci_high": list(curve.ci_high)}  # fmt: skip


def _summary(curve: RetentionCurve) -> dict[str, Any]:
    summary: dict[str, Any] = {"n": curve.n, "events": curve.events,
                               "median_days": num(curve.median),
                               "median_ci": [num(v) for v in curve.median_ci]}  # fmt: skip
    for months, days in RETENTION_DAYS.items():
        point = curve.at(days)
        summary[f"at_{months}_months"] = {"survival": num(point.survival),
                                          "ci_low": num(point.ci_low),
                                          "ci_high": num(point.ci_high)}  # fmt: skip
    return summary


def _grouped(frame: pd.DataFrame, column: str, alpha: float) -> tuple[dict, dict]:
    levels, curves = {}, {}
    for level, part in sorted(frame.groupby(column), key=lambda item: str(item[0])):
        curve = kaplan_meier(part["duration"], part["event"], alpha=alpha)
        levels[str(level)] = _summary(curve)
        curves[CURVE_LABELS.get(str(level), str(level))] = _curve(curve)
    logrank = None
    if len(levels) >= 2:
        chi2, p_value, df = logrank_test(frame["duration"], frame["event"], frame[column])
        logrank = {"chi_square": num(chi2), "p_value": num(p_value), "df": df}
    return {"levels": levels, "logrank": logrank}, curves


def cohort_durations(
    enrolments: pd.DataFrame, doses: pd.DataFrame, *, analysis_date: date, max_gap_days: int
) -> pd.DataFrame:
    """First episode of each enrolment: ``enrolment, duration, event, dose, sex``."""
    episodes = episodes_from_doses(
        doses, analysis_date=analysis_date, max_gap_days=max_gap_days,
        client_col="enrolment", dose_col="dose_mg",
    )  # fmt: skip
    last = episodes.groupby("client_id")["episode"].transform("max")
    first = episodes[episodes["episode"] == 1].copy()
    first["only"] = (last[episodes["episode"] == 1] == 1).to_numpy()
    data = first.merge(enrolments, left_on="client_id", right_on="enrolment")
    transferred = (data["exit_reason"] == "transferred") & data["only"]
    data.loc[transferred, "event"] = 0
    minimum = data["medication"].map(MINIMUM_DOSE).fillna(MINIMUM_DOSE["methadone"])
    data["dose"] = (data["median_dose"] >= minimum).map({True: "adequate", False: "low"})
    return data[["enrolment", "duration", "event", "dose", "sex"]].reset_index(drop=True)


def retention(durations: pd.DataFrame, parameters: dict[str, Any]) -> dict[str, Any]:
    """Payload of a retention study on ``durations`` (:func:`cohort_durations`)."""
    p = parameters
    alpha = float(p["alpha"])
    if durations.empty:
        raise ValueError("no OST client initiated in this period and area has a dose recorded")
    overall = kaplan_meier(durations["duration"], durations["event"], alpha=alpha)
    groups, curves = {}, {"all": _curve(overall)}
    for column in GROUPS:
        groups[column], by_level = _grouped(durations, column, alpha)
        if column == p["group"]:
            curves.update(by_level)
    cox = _cox_model(durations, alpha) if p["cox"] else None
    return {
        "method": "retention",
        "analysis_date": p["analysis_date"],
        "max_gap_days": int(p["max_gap_days"]),
        "cohort": int(len(durations)),
        "person_years": num(float(durations["duration"].sum()) / 365.25),
        "overall": _summary(overall),
        "groups": groups,
        "cox": cox,
        "curves": curves,
    }


def _cox_model(durations: pd.DataFrame, alpha: float) -> dict[str, Any]:
    """Hazard ratios of an adequate dose and of men against women.

    Clients whose sex is not recorded are left out (and counted): coding them as "not a
    man" would compare men with women and unknowns together, and say nothing plain.
    """
    known = durations[durations["sex"].isin(["M", "F"])]
    frame = pd.DataFrame({"duration": known["duration"], "event": known["event"],
                          "adequate_dose": (known["dose"] == "adequate").astype(int),
                          "male": (known["sex"] == "M").astype(int)})  # fmt: skip
    frame = frame.loc[:, frame.nunique() > 1].assign(duration=frame["duration"],
                                                     event=frame["event"])  # fmt: skip
    left_out = int(len(durations) - len(known))
    try:
        terms = cox_hazard_ratios(frame, duration_col="duration", event_col="event",
                                  alpha=alpha)  # fmt: skip
    except ValueError as error:
        return {"error": str(error), "clients": int(len(known)), "sex_unknown": left_out}
    return {"terms": [{"term": t.term, "hazard_ratio": num(t.hazard_ratio),
                       "ci_low": num(t.ci_low), "ci_high": num(t.ci_high),
                       "p_value": num(t.p_value)} for t in terms],
            "clients": int(len(known)), "sex_unknown": left_out}  # fmt: skip


def run(study: Study, checkpoint: Checkpoint | None = None) -> Computed:
    """``(payload, history_counts, hash basis)`` of a retention study on today's data."""
    enrolments, doses = sources.ost_cohort(study.area, study.period_start, study.period_end)
    if doses.empty:
        raise ValueError("no OST client initiated in this period and area has a dose recorded")
    p = dict(study.parameters)
    cutoff = date.fromisoformat(p["analysis_date"]) if p.get("analysis_date") else None
    cutoff = cutoff or doses["date"].max().date()
    p["analysis_date"] = cutoff.isoformat()
    durations = cohort_durations(enrolments, doses, analysis_date=cutoff,
                                 max_gap_days=int(p["max_gap_days"]))  # fmt: skip
    payload = retention(durations, p)
    payload["without_doses"] = int(len(enrolments) - len(durations))
    counts = {"lists": study.lists, "enrolments": int(len(enrolments)),
              "dosing_days": int(len(doses))}  # fmt: skip
    digest = hashlib.sha256(enrolments.to_csv(index=False).encode())
    digest.update(pd.util.hash_pandas_object(doses, index=False).to_numpy().tobytes())
    basis = {"lists": [{"ref": "registry:ost", "digest": digest.hexdigest()}]}
    return Computed(payload, counts, basis)


METHOD = Method(
    name="retention",
    label=_l("Retention (Kaplan-Meier)"),
    parameters=Parameters,
    choices={"group": GROUPS},
    check=check,
    run=run,
    rows=rows,
    payload=RetentionResult,
    plots=lambda payload: ["retention"] if payload.curves else [],
    draw=lambda name, payload: drawing.kaplan_meier(curves(payload, CURVE_NAMES)),
    listless=True,
    warnings=retention_warnings,
    plot_titles={"retention": _l("Retention on treatment (Kaplan-Meier) with confidence bands")},
)
