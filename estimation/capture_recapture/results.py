"""Result types of the log-linear capture-recapture estimators."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from estimation.capture_recapture.chao import chao_deviance
from estimation.capture_recapture.fit_warnings import FitWarning, info_fit
from estimation.capture_recapture.intervals import (
    chao_log_interval,
    normal_quantile,
    profile_interval,
)

if TYPE_CHECKING:  # pandas and scipy load only when a method needs them
    import pandas as pd

__all__ = ["CI_METHODS", "LoglinearResult", "ModelTable"]

CI_METHODS = ("wald", "lognormal", "chao", "profile")

#: Fit statuses; only ``"ok"`` counts as a trustworthy fit.
STATUSES = ("ok", "boundary", "not_converged", "no_mle", "not_identifiable", "error")


@dataclass(frozen=True)
class LoglinearResult:
    """Abundance estimate of one log-linear model.

    Attributes
    ----------
    name : str
        Model name (``"Mt"``, ``"[12,3,4]"``, ``"[12,3,4] Chao (LB)"``...).
    lists : tuple of str
        Names of the lists.
    observed : int
        Number of people observed, ``n``.
    abundance : float
        Estimated population size ``N = n + exp(b0)`` (other formulas for Mb, Mbh).
    stderr : float
        Rcapture's standard error ``sqrt(exp(b0) + exp(2 b0) Var(b0))`` (delta method for
        Mb and Mbh).
    deviance : float
        Poisson deviance on the observed cells.
    df : int
        Residual degrees of freedom, ``2**k - 1`` minus the number of parameters.
    aic, bic : float
        ``-2 log L + 2 p`` and ``-2 log L + log(n) p`` with the Poisson log-likelihood.
    status : str
        ``"ok"``, ``"boundary"`` (a heterogeneity parameter at its limit), ``"not_converged"``,
        ``"no_mle"`` (zero cells: the MLE does not exist), ``"not_identifiable"`` (design
        rank deficient) or ``"error"``.
    message : str
        Plain explanation of a status other than ``"ok"``.
    coefficients : mapping of str to float
        Log-linear coefficients by name.
    var_intercept : float
        Variance of the intercept ``b0``.
    design, counts : ndarray or None
        Design matrix and cell counts of the fit, kept for the profile-likelihood interval
        (``None`` for Mb, Mbh and for results of a batched search: refit with
        :func:`~estimation.capture_recapture.fit_loglinear` by name).
    chao_columns : tuple of int
        Columns of Chao's ``eta`` parameters, re-checked for sign at every profile point.
    bias : float
        Rcapture's asymptotic bias of ``N`` (``nan`` when not computed); the message warns
        when it exceeds 10% of ``N``.
    fitted : ndarray or None
        Fitted count of each observable history (single fits).
    warnings : tuple of FitWarning
        Rcapture's conditions on the fit (:mod:`~estimation.capture_recapture.fit_warnings`):
        code 1 no convergence or large asymptotic bias, 2 design not of full rank, 3 fitted
        rates numerically 0. Empty when Rcapture would print "OK"; a missing MLE is the
        status ``"no_mle"``.
    """

    name: str
    lists: tuple[str, ...]
    observed: int
    abundance: float
    stderr: float
    deviance: float
    df: int
    aic: float
    bic: float
    status: str = "ok"
    message: str = ""
    coefficients: Mapping[str, float] = field(default_factory=dict, repr=False)
    var_intercept: float = field(default=float("nan"), repr=False)
    design: np.ndarray | None = field(default=None, repr=False, compare=False)
    counts: np.ndarray | None = field(default=None, repr=False, compare=False)
    chao_columns: tuple[int, ...] = field(default=(), repr=False, compare=False)
    bias: float = field(default=float("nan"), repr=False)
    fitted: np.ndarray | None = field(default=None, repr=False, compare=False)
    warnings: tuple[FitWarning, ...] = field(default=(), repr=False)

    @property
    def info_fit(self) -> int:
        """Rcapture's ``infoFit`` code: 0 OK, 1, 2, 3 or combinations such as 13."""
        return info_fit(self.warnings)

    @property
    def fit_ok(self) -> bool:
        """Whether the fit is trustworthy (status ``"ok"``)."""
        return self.status == "ok"

    @property
    def usable(self) -> bool:
        """Whether the estimate is a proper (possibly constrained) MLE: status ``"ok"`` or
        ``"boundary"``. Model selection and averaging use these fits."""
        return self.status in ("ok", "boundary")

    @property
    def dark_figure(self) -> float:
        """Estimated number of people on no list, ``N - n``."""
        return self.abundance - self.observed

    @property
    def deviance_p_value(self) -> float:
        """Goodness of fit: ``P(chi2_df > deviance)`` (``nan`` for a saturated model).

        The chi-square approximation needs expected counts that are not too small; with
        sparse tables compare models by AIC/BIC rather than by this p-value.
        """
        from scipy.stats import chi2

        return float(chi2.sf(self.deviance, self.df)) if self.df > 0 else float("nan")

    def residuals(self) -> pd.DataFrame:
        """Observed and fitted count and Pearson residual of every observable history."""
        if self.fitted is None or self.counts is None or len(self.fitted) != len(self.counts):
            raise ValueError(f"no fitted values kept for model {self.name}")
        import pandas as pd

        from estimation.capture_recapture.histories import history_patterns

        k = len(self.lists)
        index = ["".join(map(str, row)) for row in history_patterns(k)]
        with np.errstate(divide="ignore", invalid="ignore"):
            pearson = (self.counts - self.fitted) / np.sqrt(self.fitted)
        return pd.DataFrame(
            {"observed": self.counts, "fitted": self.fitted, "pearson": pearson},
            index=pd.Index(index, name="history"),
        )

    def conf_int(self, alpha: float = 0.05, method: str = "lognormal") -> tuple[float, float]:
        """Confidence interval for ``N``.

        Parameters
        ----------
        alpha : float
            One minus the confidence level.
        method : {"lognormal", "wald", "chao", "profile"}
            See :mod:`estimation.capture_recapture.intervals`. ``"lognormal"`` falls back to
            ``"chao"`` for Mb and Mbh, whose abundance is not ``n + exp(b0)``.
        """
        if not 0 < alpha < 1:
            raise ValueError("alpha must be between 0 and 1")
        if not math.isfinite(self.abundance):
            return float("nan"), float("nan")
        z = normal_quantile(alpha)
        if method == "wald":
            return self.abundance - z * self.stderr, self.abundance + z * self.stderr
        if method == "chao" or (method == "lognormal" and not math.isfinite(self.var_intercept)):
            return chao_log_interval(self.observed, self.abundance, self.stderr, alpha)
        if method == "lognormal":
            if self.abundance <= self.observed or not self.var_intercept >= 0:
                return float("nan"), float("nan")
            b0 = math.log(self.abundance - self.observed)
            se = math.sqrt(self.var_intercept)
            return self.observed + _exp(b0 - z * se), self.observed + _exp(b0 + z * se)
        if method == "profile":
            return self.profile(alpha=alpha)[1:]
        raise ValueError(f"unknown interval method {method!r}: use one of {', '.join(CI_METHODS)}")

    def profile(self, alpha: float = 0.05) -> tuple[float, float, float]:
        """Multinomial profile-likelihood estimate and interval ``(N_max, low, high)``."""
        if self.design is None or self.counts is None:
            raise ValueError(
                f"no profile-likelihood interval for model {self.name}: Mb and Mbh have none, "
                "and results of a search keep no design (refit the model with fit_loglinear)"
            )
        refit = None
        if self.chao_columns:
            columns = self.chao_columns

            def refit(X: np.ndarray, y: np.ndarray) -> float:
                return chao_deviance(X, y, columns)

        result = profile_interval(
            self.design, self.counts, self.abundance, alpha=alpha, refit=refit
        )
        return result.abundance, result.low, result.high

    def to_dict(self, alpha: float = 0.05, method: str | None = "lognormal") -> dict[str, object]:
        """Plain dictionary (for JSON): the fields of the CLI's ``--json`` output."""
        low, high = self.conf_int(alpha, method) if method else (float("nan"),) * 2
        return {
            "name": self.name,
            "abundance": _num(self.abundance),
            "stderr": _num(self.stderr),
            "ci_low": _num(low),
            "ci_high": _num(high),
            "deviance": _num(self.deviance),
            "df": self.df,
            "aic": _num(self.aic),
            "bic": _num(self.bic),
            "fit_ok": self.fit_ok,
            "status": self.status,
            "message": self.message,
            "info_fit": self.info_fit,
            "warnings": [w.to_dict() for w in self.warnings],
        }

    def summary(self, alpha: float = 0.05, method: str = "lognormal") -> str:
        """Short text report."""
        low, high = self.conf_int(alpha, method)
        lines = [
            f"Model {self.name} on {len(self.lists)} lists ({', '.join(self.lists)})",
            f"observed n = {self.observed}",
            f"abundance N = {self.abundance:.1f} (se {self.stderr:.1f})",
            f"{100 * (1 - alpha):g}% {method} interval: {low:.1f} to {high:.1f}",
            f"deviance {self.deviance:.3f} on {self.df} df (p = {self.deviance_p_value:.3g}), "
            f"AIC {self.aic:.3f}, BIC {self.bic:.3f}",
        ]
        if not self.fit_ok:
            lines.append(f"WARNING ({self.status}): {self.message}")
        elif self.message:
            lines.append(f"Note: {self.message}")
        return "\n".join(lines)


def _info_label(warnings: tuple[FitWarning, ...]) -> str:
    """Rcapture's printed label: ``OK``, ``warning #1``, ``warnings #1 #3``."""
    if not warnings:
        return "OK"
    codes = sorted({w.code for w in warnings})
    word = "warning" if len(warnings) == 1 else "warnings"
    return word + "".join(f" #{c}" for c in codes)


def _exp(value: float) -> float:
    return math.exp(value) if value < 700 else float("inf")


def _num(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


@dataclass(frozen=True)
class ModelTable:
    """Several models fitted to the same histories (``closedp.t`` table or a search).

    Attributes
    ----------
    lists : tuple of str
    observed : int
    results : tuple of LoglinearResult
        In the order fitted, or ranked by ``criterion`` after a search.
    criterion : str or None
        ``"aic"`` or ``"bic"`` when ranked.
    """

    lists: tuple[str, ...]
    observed: int
    results: tuple[LoglinearResult, ...]
    criterion: str | None = None

    def __getitem__(self, name: str) -> LoglinearResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)

    def __len__(self) -> int:
        return len(self.results)

    def best(self) -> LoglinearResult:
        """The first usable model (status ok or boundary), by rank after a search."""
        for result in self.results:
            if result.usable:
                return result
        raise ValueError("no model could be fitted properly")

    def best_without_warnings(self) -> LoglinearResult | None:
        """The first usable model that carries no Rcapture warning, by rank after a search:
        the model an analyst reading Rcapture's table picks (``None`` if every model is
        flagged)."""
        for result in self.results:
            if result.usable and not result.warnings:
                return result
        return None

    def to_frame(self) -> pd.DataFrame:
        """One row per model: abundance, stderr, deviance, df, AIC, BIC, status."""
        import pandas as pd

        rows = [
            {
                "model": r.name,
                "abundance": r.abundance,
                "stderr": r.stderr,
                "deviance": r.deviance,
                "df": r.df,
                "AIC": r.aic,
                "BIC": r.bic,
                "status": r.status,
                "infoFit": _info_label(r.warnings),
            }
            for r in self.results
        ]
        return pd.DataFrame(rows).set_index("model")

    def summary(self, limit: int | None = None) -> str:
        """Text table rounded as Rcapture prints it."""
        frame = self.to_frame()
        if limit is not None:
            frame = frame.head(limit)
        frame = frame.round({"abundance": 1, "stderr": 1, "deviance": 3, "AIC": 3, "BIC": 3})
        head = f"Number of captured units: {self.observed}\n\n"
        notes = [
            f"  {r.name}: {r.message}"
            for r in self.results
            if not r.fit_ok and r.name in frame.index
        ]
        tail = ("\n\nWarnings:\n" + "\n".join(notes)) if notes else ""
        return head + frame.to_string() + tail
