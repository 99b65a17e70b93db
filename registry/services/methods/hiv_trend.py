"""HIV prevalence trend among people who inject drugs: yearly prevalence, logistic trend.

The indicator is UNAIDS's "HIV prevalence among people who inject drugs": of the people
who inject drugs tested in a year, those positive. A client tested counts as a person who
injects drugs when an admission up to the end of that year records route 1 (inject) or
injecting in the last 12 months (TDI 2.2, 2.3), the rule of ``HIV_PWID_TESTED``
(:func:`registry.services.source_lists.hiv_tests_by_year`; docs/tdi.md).

Parameters: ``alpha``, ``years`` (how many years up to the study period, default 6).
Payload (typed: :class:`HivTrendResult`)::

    {"method": "hiv_trend", "observed": 1200,     # PWID tested in the years
     "tested_population": "pwid",                 # absent: computed before (all tested)
     "years": [{"year", "tested", "positive", "prevalence", "ci_low", "ci_high"}, ...],
     "trend": {"odds_ratio_per_year", "ci_low", "ci_high", "p_value", "apc", "apc_low",
               "apc_high"} or null}              # fewer than 3 years: null
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from flask_babel import lazy_gettext as _l

from estimation import hiv_trend as trend
from registry import plots as drawing
from registry.models import Study, User
from registry.schemas.base import integer
from registry.services import linkage
from registry.services.errors import ServiceError
from registry.services.methods.base import (
    Checkpoint,
    Computed,
    Method,
    ParametersSchema,
    alpha_field,
    num,
)
from registry.services.methods.payload import Payload, row

#: The one list this method reads.
HIV_TESTED = "registry:hiv_tested"


class Parameters(ParametersSchema):
    """An HIV trend study's parameters."""

    alpha = alpha_field()
    years = integer(2, 30, default=6)


@dataclass(frozen=True)
class HivYear:
    """One year: PWID tested, positive, prevalence with its Wilson interval."""

    year: int | None = None
    tested: int | None = None
    positive: int | None = None
    prevalence: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class HivTrendLine:
    """The logistic trend: odds ratio per year and the annual percent change (APC)."""

    odds_ratio_per_year: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    apc: float | None = None
    apc_low: float | None = None
    apc_high: float | None = None


@dataclass(frozen=True)
class HivTrendResult(Payload):
    """An HIV trend study's result (see the module docstring)."""

    observed: int | None = None
    years: tuple[HivYear, ...] = ()
    trend: HivTrendLine | None = None
    #: ``"pwid"``; None: computed before the trend read only people who inject drugs
    #: (it then counted every client tested).
    tested_population: str | None = None


def hiv_trend(rows: list[dict[str, int]], parameters: dict[str, Any]) -> dict[str, Any]:
    """Payload of an HIV prevalence trend on ``[{"year", "tested", "positive"}]``."""
    alpha = float(parameters["alpha"])
    frame = pd.DataFrame(rows, columns=["year", "tested", "positive"])
    years = [
        {"year": y.year, "tested": y.tested, "positive": y.positive,
         "prevalence": num(y.prevalence), "ci_low": num(y.ci_low), "ci_high": num(y.ci_high)}
        for y in trend.yearly_prevalence(frame, alpha=alpha)
    ]  # fmt: skip
    fitted = None
    if len(years) >= 3:
        t = trend.logistic_trend(frame, alpha=alpha)
        fitted = {name: num(getattr(t, name)) for name in
                  ("odds_ratio_per_year", "ci_low", "ci_high", "p_value", "apc", "apc_low",
                   "apc_high")}  # fmt: skip
    return {"method": "hiv_trend", "years": years, "trend": fitted,
            "observed": int(frame["tested"].sum()), "tested_population": "pwid"}  # fmt: skip


def check(refs: list[str], p: dict[str, Any], *, actor: User, period: tuple[date, date]) -> list:
    """The list of HIV-tested clients (implied when none is chosen)."""
    if refs not in ([], [HIV_TESTED]):
        raise ServiceError(_l("The HIV trend uses the list of HIV-tested clients."), "lists")
    return [HIV_TESTED]


def run(study: Study, checkpoint: Checkpoint | None = None) -> Computed:
    """Tests and positives per year, the last ``years`` years up to the period's end."""
    first = study.period_end.year - int(study.parameters["years"]) + 1
    rows = linkage.hiv_tests_by_year(first, study.period_end, study.area)
    if not rows:
        raise ValueError("no person who injects drugs was tested for HIV in these years and area")
    digest = linkage.digest({f"{r['year']}:{r['tested']}:{r['positive']}" for r in rows})
    payload = hiv_trend(rows, study.parameters)
    return Computed(payload, {"lists": study.lists, "years": rows},
                    {"lists": [{"ref": study.lists[0], "digest": digest}]})  # fmt: skip


def rows(payload: HivTrendResult) -> list[dict[str, Any]]:
    """CSV rows: one per year (an HIV trend has no single estimate)."""
    return [{"row": "year", **row(year)} for year in payload.years]


METHOD = Method(
    name="hiv_trend",
    label=_l("HIV prevalence trend"),
    parameters=Parameters,
    check=check,
    run=run,
    rows=rows,
    payload=HivTrendResult,
    plots=lambda payload: ["hiv"] if payload.years else [],
    draw=lambda name, payload: drawing.hiv_prevalence([row(year) for year in payload.years]),
    listless=True,
    plot_titles={"hiv": _l("HIV prevalence by year with Wilson intervals")},
)
