"""The typed result of a retention study (:mod:`.retention`), its CSV rows and plot data.

The stored JSON is documented in :mod:`.retention`; :class:`RetentionResult` is how every
reader reads it (:mod:`.payload`: tolerant of results stored by earlier versions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.services.methods.payload import Payload, row
from registry.services.methods.plausibility import RETENTION_MONTHS, zero_width

#: Days at which retention is read off the curve, by months.
RETENTION_DAYS = {6: 182, 12: 365}


@dataclass(frozen=True)
class Retained:
    """Kaplan-Meier survival at a time, with its interval."""

    survival: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class RetentionSummary:
    """One group's (or the whole cohort's) numbers."""

    n: int | None = None
    events: int | None = None
    median_days: float | None = None
    median_ci: tuple[float | None, ...] = ()
    at_6_months: Retained | None = None
    at_12_months: Retained | None = None

    def at(self, months: int) -> Retained | None:
        """Retention at 6 or 12 months."""
        return self.at_6_months if months == 6 else self.at_12_months


@dataclass(frozen=True)
class Logrank:
    """The log-rank test between a group's levels."""

    chi_square: float | None = None
    p_value: float | None = None
    df: int | None = None


@dataclass(frozen=True)
class RetentionGroup:
    """The levels of one grouping (dose, sex) and their log-rank test."""

    levels: dict[str, RetentionSummary] = field(default_factory=dict)
    logrank: Logrank | None = None


@dataclass(frozen=True)
class CoxTerm:
    """One covariate's hazard ratio."""

    term: str | None = None
    hazard_ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None


@dataclass(frozen=True)
class CoxModel:
    """The Cox model's terms, or why it could not be fitted."""

    terms: tuple[CoxTerm, ...] = ()
    error: str | None = None
    clients: int | None = None  # fitted on (None: a result from before it was counted)
    sex_unknown: int | None = None  # clients left out: sex not recorded


@dataclass(frozen=True)
class Curve:
    """A Kaplan-Meier curve (times in months) with its band."""

    times: tuple[float | None, ...] = ()
    survival: tuple[float | None, ...] = ()
    ci_low: tuple[float | None, ...] = ()
    ci_high: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class RetentionResult(Payload):
    """A retention study's result (see :mod:`.retention`)."""

    analysis_date: str | None = None
    max_gap_days: int | None = None
    cohort: int | None = None
    without_doses: int | None = None
    person_years: float | None = None
    overall: RetentionSummary | None = None
    groups: dict[str, RetentionGroup] = field(default_factory=dict)
    cox: CoxModel | None = None
    curves: dict[str, Curve] = field(default_factory=dict)


def rows(payload: RetentionResult) -> list[dict[str, Any]]:
    """CSV rows: overall, then each group level, with retention at 6 and 12 months."""

    def flat(name: str, summary: RetentionSummary) -> dict[str, Any]:
        out = {"row": name, "n": summary.n, "events": summary.events,
               "median_days": summary.median_days}  # fmt: skip
        for months in RETENTION_DAYS:
            for key, value in row(summary.at(months) or Retained()).items():
                out[f"{key}_{months}m"] = value
        return out

    out = [flat("all", payload.overall)] if payload.overall else []
    for column, group in payload.groups.items():
        out.extend(flat(f"{column} {level}", s) for level, s in group.levels.items())
    return out


def retention_warnings(payload: RetentionResult) -> list[dict[str, Any]]:
    """A zero-width retention interval of any group (overall, by dose, by sex)."""
    summaries = [("all", payload.overall)] if payload.overall else []
    for column, group in payload.groups.items():
        summaries += [(f"{column}:{level}", s) for level, s in group.levels.items()]
    out = []
    for name, summary in summaries:
        for months in RETENTION_MONTHS:
            at = summary.at(months)
            if at is not None and zero_width(at.ci_low, at.ci_high):
                out.append({"code": "zero_width_interval", "what": "retention", "group": name,
                            "months": months, "n": summary.n})  # fmt: skip
    return out


def curves(payload: RetentionResult, names: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The curves as the plot takes them, each under its name on the legend (``names``)."""
    return {str(names.get(key, key)): row(curve) for key, curve in payload.curves.items()}


__all__ = ["RetentionResult", "RetentionSummary", "curves", "retention_warnings", "rows"]
