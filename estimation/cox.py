"""Cox proportional-hazards models for retention (lifelines), with R-compatible output."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import pandas as pd

from estimation.intervals import check_alpha, normal_quantile

__all__ = ["HazardRatio", "cox_hazard_ratios"]


@dataclass(frozen=True)
class HazardRatio:
    """One Cox-model term: hazard ratio :math:`e^\\beta` with Wald interval and p-value."""

    term: str
    hazard_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    coef: float
    se: float

    @property
    def stderr(self) -> float:
        """Standard error of ``coef`` (the library's name; ``se`` is kept)."""
        return self.se


def cox_hazard_ratios(
    frame: pd.DataFrame, *, duration_col: str, event_col: str, alpha: float = 0.05
) -> list[HazardRatio]:
    """Cox proportional-hazards model (lifelines, Efron ties as R ``coxph``' default).

    Every column of ``frame`` other than ``duration_col`` and ``event_col`` is a covariate
    (encode categories as 0/1 indicators first). The hazard of leaving treatment is
    :math:`h(t \\mid x) = h_0(t) e^{x^\\top\\beta}`; a hazard ratio below 1 means better
    retention.
    """
    from lifelines import CoxPHFitter

    a = check_alpha(alpha)
    if len(frame) == 0:
        raise ValueError("no subjects for the Cox model")
    if frame[event_col].sum() == 0:
        raise ValueError("every subject is censored: hazard ratios are not estimable")
    covariates = [c for c in frame.columns if c not in (duration_col, event_col)]
    if not covariates:
        raise ValueError("the Cox model needs at least one covariate")
    constant = [c for c in covariates if frame[c].nunique() < 2]
    if constant:
        raise ValueError(f"covariates without variation: {', '.join(map(str, constant))}")
    with warnings.catch_warnings():
        # lifelines reports non-convergence (e.g. separation) as a warning: make it an error.
        warnings.simplefilter("error", category=RuntimeWarning)
        try:
            fitter = CoxPHFitter(alpha=a).fit(frame, duration_col=duration_col, event_col=event_col)
        except Exception as error:  # lifelines raises its own ConvergenceError types
            raise ValueError(f"the Cox model could not be fitted: {error}") from error
    z = normal_quantile(a)
    rows = []
    for term, row in fitter.summary.iterrows():
        coef, se = float(row["coef"]), float(row["se(coef)"])
        rows.append(
            HazardRatio(
                term=str(term),
                hazard_ratio=math.exp(coef),
                ci_low=math.exp(coef - z * se),
                ci_high=math.exp(coef + z * se),
                p_value=float(row["p"]),
                coef=coef,
                se=se,
            )
        )
    return rows
