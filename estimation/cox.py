"""Cox proportional-hazards models for retention (Efron ties), with R-compatible output.

The partial likelihood is maximised by the Newton-Raphson scheme of lifelines'
``CoxPHFitter`` (standardised covariates, its step sizes and stopping rules), so hazard
ratios, intervals and p-values are those lifelines gave, while the command line is spared
importing it (about a second); ``tests/estimation/test_survival_retention.py`` compares
the two and checks R's ``coxph``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from estimation.distributions import chi2_sf
from estimation.intervals import check_alpha, normal_quantile

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["HazardRatio", "cox_hazard_ratios"]

_PRECISION = 1e-7  # norm of the Newton step, as lifelines
_RELATIVE_LOGLIK = 1e-9  # relative change of the log partial likelihood (R's default)
_MAX_STEPS = 500
_LOW_VARIANCE = 1e-4


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
    frame: pd.DataFrame | Mapping[str, Sequence[float]],
    *,
    duration_col: str,
    event_col: str,
    alpha: float = 0.05,
) -> list[HazardRatio]:
    """Cox proportional-hazards model (Efron ties, as R ``coxph``' default).

    Every column of ``frame`` (a data frame, or a mapping from column name to values)
    other than ``duration_col`` and ``event_col`` is a covariate (encode categories as
    0/1 indicators first). The hazard of leaving treatment is
    :math:`h(t \\mid x) = h_0(t) e^{x^\\top\\beta}`; a hazard ratio below 1 means better
    retention. Intervals are Wald intervals :math:`e^{\\hat\\beta \\pm z\\,\\mathrm{se}}`
    and p-values Wald tests.

    Raises ``ValueError`` when the model cannot be fitted: no events, a covariate without
    variation (or with variance below 1e-4: rescale it), or a partial likelihood that
    keeps rising without bound (separation: a covariate determines who leaves).
    """
    a = check_alpha(alpha)
    columns = [str(c) for c in frame.columns] if hasattr(frame, "columns") else list(frame)
    values = {c: np.asarray(frame[c], dtype=float) for c in columns}
    events = values[event_col]
    if len(events) == 0:
        raise ValueError("no subjects for the Cox model")
    if events.sum() == 0:
        raise ValueError("every subject is censored: hazard ratios are not estimable")
    covariates = [c for c in columns if c not in (duration_col, event_col)]
    if not covariates:
        raise ValueError("the Cox model needs at least one covariate")
    constant = [c for c in covariates if len(np.unique(values[c][~np.isnan(values[c])])) < 2]
    if constant:
        raise ValueError(f"covariates without variation: {', '.join(map(str, constant))}")
    durations = values[duration_col]
    X = np.column_stack([values[c] for c in covariates])
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(durations))):
        raise ValueError("the Cox model could not be fitted: blank or infinite values")
    low = [c for c, v in zip(covariates, X.var(axis=0, ddof=1), strict=True) if v < _LOW_VARIANCE]
    if low:
        raise ValueError(
            f"the Cox model could not be fitted: covariate(s) {', '.join(low)} have very low "
            "variance (below 1e-4); rescale them"
        )
    mean, std = X.mean(axis=0), X.std(axis=0, ddof=1)
    order = np.argsort(durations, kind="stable")
    beta, hessian = _newton_raphson(
        (X[order] - mean) / std, durations[order], events[order].astype(bool)
    )
    coefs = beta / std
    try:
        ses = np.sqrt(np.diag(-np.linalg.inv(hessian) / np.outer(std, std)))
    except np.linalg.LinAlgError:
        raise ValueError("the Cox model could not be fitted: singular information") from None
    z = normal_quantile(a)
    rows = []
    for term, coef, se in zip(covariates, coefs.tolist(), ses.tolist(), strict=True):
        rows.append(
            HazardRatio(
                term=term,
                hazard_ratio=math.exp(coef),
                ci_low=math.exp(coef - z * se),
                ci_high=math.exp(coef + z * se),
                p_value=chi2_sf((coef / se) ** 2, 1),
                coef=coef,
                se=se,
            )
        )
    return rows


def _efron(X, T, E, beta) -> tuple[np.ndarray, np.ndarray, float]:
    """Hessian, gradient and log partial likelihood with Efron's handling of ties.

    ``X``, ``T``, ``E`` are sorted by time. At a time with :math:`m` events, the
    :math:`l`-th (:math:`l = 0..m-1`) uses the risk-set sums minus :math:`l/m` of the
    sums over the tied events.
    """
    n, d = X.shape
    scores = np.exp(X @ beta)
    phi_x = scores[:, None] * X
    phi_xx = phi_x[:, :, None] * X[:, None, :]
    # Risk-set sums at each subject's time: everyone with a time at least as long.
    risk = [np.cumsum(v[::-1], axis=0)[::-1] for v in (scores, phi_x, phi_xx)]
    times, first = np.unique(T, return_index=True)
    death_times = np.unique(T[E])
    groups = np.searchsorted(times, death_times)
    start = first[groups]  # first subject of each event time: its risk set
    # Sums over the tied events of each event time.
    labels = np.searchsorted(death_times, T[E])
    tie = [np.zeros((len(death_times),) + v.shape[1:]) for v in (scores, phi_x, phi_xx)]
    for total, v in zip(tie, (scores, phi_x, phi_xx), strict=True):
        np.add.at(total, labels, v[E])
    counts = np.bincount(labels, minlength=len(death_times))
    # One row per event: its time's index and its rank l among the tied events.
    which = np.repeat(np.arange(len(death_times)), counts)
    rank = np.arange(len(which)) - np.repeat(np.cumsum(counts) - counts, counts)
    share = rank / counts[which]
    denom = 1.0 / (risk[0][start][which] - share * tie[0][which])
    summand = (risk[1][start][which] - share[:, None] * tie[1][which]) * denom[:, None]
    deaths = X[E]
    gradient = deaths.sum(axis=0) - summand.sum(axis=0)
    loglik = float(deaths.sum(axis=0) @ beta + np.log(denom).sum())
    sum_denom = np.bincount(which, weights=denom, minlength=len(death_times))
    sum_share = np.bincount(which, weights=share * denom, minlength=len(death_times))
    a1 = np.einsum("gab,g->ab", risk[2][start], sum_denom) - np.einsum(
        "gab,g->ab", tie[2], sum_share
    )
    hessian = summand.T @ summand - a1
    return hessian, gradient, loglik


def _newton_raphson(X, T, E) -> tuple[np.ndarray, np.ndarray]:
    """lifelines' ``_newton_raphson_for_efron_model``: its step sizes and stopping rules.

    Returns the coefficients on the standardised scale and the Hessian there.
    """
    beta = np.zeros(X.shape[1])
    delta = np.zeros_like(beta)
    steps = _StepSizer(0.95)
    step_size = steps.step_size
    previous = 0.0
    for iteration in range(1, _MAX_STEPS + 1):
        beta = beta + step_size * delta
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            hessian, gradient, loglik = _efron(X, T, E, beta)
        if not (np.all(np.isfinite(hessian)) and np.all(np.isfinite(gradient))):
            raise ValueError(
                "the Cox model could not be fitted: the likelihood overflowed "
                "(a covariate may separate those who leave from those who stay)"
            )
        try:
            np.linalg.cholesky(-hessian)  # positive definite, as lifelines' solver requires
            delta = np.linalg.solve(-hessian, gradient)
        except np.linalg.LinAlgError:
            raise ValueError(
                "the Cox model could not be fitted: singular information (collinear covariates?)"
            ) from None
        norm_delta = float(np.linalg.norm(delta))
        converged = (
            norm_delta < _PRECISION
            or (previous != 0 and abs(loglik - previous) / (-previous) < _RELATIVE_LOGLIK)
            or gradient @ delta / 2 < _PRECISION
        )
        failed = (
            iteration >= _MAX_STEPS
            or step_size <= 1e-5
            or (abs(loglik) < 1e-4 and norm_delta > 1.0)
        )
        if not (converged or failed):
            previous = loglik
            step_size = steps.update(norm_delta)
            continue
        success = converged
        break
    if not success:
        raise ValueError("the Cox model could not be fitted: Newton-Raphson did not converge")
    if norm_delta > 0.1:
        raise ValueError(
            "the Cox model could not be fitted: the likelihood levels off while a coefficient "
            "keeps growing (a covariate separates those who leave from those who stay)"
        )
    return beta, hessian


class _StepSizer:
    """lifelines' step-size rule: shrink after large steps, grow while steps shrink."""

    def __init__(self, initial: float) -> None:
        self.initial = self.step_size = initial
        self.temper_back_up = False
        self.norms: list[float] = []

    def update(self, norm: float) -> float:
        self.norms.append(norm)
        if self.temper_back_up:
            self.step_size = min(self.step_size * 1.3, self.initial)
        if norm >= 15.0:
            self.step_size *= 0.1
            self.temper_back_up = True
        elif 15.0 > norm > 5.0:
            self.step_size *= 0.25
            self.temper_back_up = True
        if len(self.norms) >= 3:
            decreasing = bool(np.all(np.diff(self.norms[-3:]) < 0))
            self.step_size = min(self.step_size * 1.3, 1.0) if decreasing else self.step_size * 0.98
        return self.step_size
