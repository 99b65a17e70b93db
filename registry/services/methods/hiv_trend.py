"""HIV prevalence trend: yearly prevalence among clients tested, and its logistic trend.

Parameters: ``alpha``, ``years`` (how many years up to the study period, default 6).
Payload::

    {"method": "hiv_trend", "observed": 1200,     # tests in the years
     "years": [{"year", "tested", "positive", "prevalence", "ci_low", "ci_high"}, ...],
     "trend": {"odds_ratio_per_year", "ci_low", "ci_high", "p_value", "apc", "apc_low",
               "apc_high"} or null}              # fewer than 3 years: null
"""

from __future__ import annotations

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

#: The one list this method reads.
HIV_TESTED = "registry:hiv_tested"


class Parameters(ParametersSchema):
    """An HIV trend study's parameters."""

    alpha = alpha_field()
    years = integer(2, 30, default=6)


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
            "observed": int(frame["tested"].sum())}  # fmt: skip


def check(refs: list[str], p: dict[str, Any], *, actor: User, period: tuple[date, date]) -> list:
    """The list of HIV-tested clients (implied when none is chosen)."""
    if refs not in ([], [HIV_TESTED]):
        raise ServiceError(_l("The HIV trend uses the list of HIV-tested clients."), "lists")
    return [HIV_TESTED]


def run(study: Study, checkpoint: Checkpoint | None = None) -> Computed:
    """Tests and positives per year, the last ``years`` years up to the period's end."""
    first = study.period_end.year - int(study.parameters["years"]) + 1
    rows = linkage.hiv_tests_by_year(first, study.period_end, study.area)
    digest = linkage.digest({f"{r['year']}:{r['tested']}:{r['positive']}" for r in rows})
    payload = hiv_trend(rows, study.parameters)
    return Computed(payload, {"lists": study.lists, "years": rows},
                    {"lists": [{"ref": study.lists[0], "digest": digest}]})  # fmt: skip


def rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """CSV rows: one per year (an HIV trend has no single estimate)."""
    return [{"row": "year", **year} for year in payload["years"]]


METHOD = Method(
    name="hiv_trend",
    label=_l("HIV prevalence trend"),
    parameters=Parameters,
    check=check,
    run=run,
    rows=rows,
    plots=lambda payload: ["hiv"] if payload.get("years") else [],
    draw=lambda name, payload: drawing.hiv_prevalence(payload["years"]),
    listless=True,
    plot_titles={"hiv": _l("HIV prevalence by year with Wilson intervals")},
)
