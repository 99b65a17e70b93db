"""HIV prevalence trend payloads (see :mod:`registry.services.estimators`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from estimation import hiv_trend as trend
from registry.services.estimators.common import num as _num

DEFAULTS: dict[str, Any] = {"alpha": 0.05, "years": 6}


def hiv_trend(rows: list[dict[str, int]], parameters: dict[str, Any]) -> dict[str, Any]:
    """Payload of an HIV prevalence trend on ``[{"year", "tested", "positive"}]``.

    ``{"method": "hiv_trend", "years": [{"year", "tested", "positive", "prevalence",
    "ci_low", "ci_high"}], "trend": {"odds_ratio_per_year", "ci_low", "ci_high",
    "p_value", "apc", "apc_low", "apc_high"} or None (fewer than 3 years)}``
    """
    p = {**DEFAULTS, **parameters}
    alpha = float(p["alpha"])
    frame = pd.DataFrame(rows, columns=["year", "tested", "positive"])
    years = [
        {"year": y.year, "tested": y.tested, "positive": y.positive,
         "prevalence": _num(y.prevalence), "ci_low": _num(y.ci_low), "ci_high": _num(y.ci_high)}
        for y in trend.yearly_prevalence(frame, alpha=alpha)
    ]  # fmt: skip
    fitted = None
    if len(years) >= 3:
        t = trend.logistic_trend(frame, alpha=alpha)
        fitted = {name: _num(getattr(t, name)) for name in
                  ("odds_ratio_per_year", "ci_low", "ci_high", "p_value", "apc", "apc_low",
                   "apc_high")}  # fmt: skip
    return {"method": "hiv_trend", "years": years, "trend": fitted,
            "observed": int(frame["tested"].sum())}  # fmt: skip
