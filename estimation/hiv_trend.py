"""HIV among people who inject drugs: yearly prevalence, trend, joinpoints, incidence.

Sentinel surveillance gives, per year, the number tested and the number HIV-positive.
This module reports each year's prevalence with a Wilson interval, the logistic trend
(R's ``glm(cbind(positive, tested - positive) ~ year, family = binomial)``), the annual
percent change, joinpoint segments and the incidence among repeat testers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from estimation.incidence import IncidenceRate, repeat_tester_incidence
from estimation.intervals import check_alpha, normal_quantile, wilson_interval
from estimation.irls import GLMFit, fit_binomial_logit, fit_poisson_log
from estimation.joinpoint import Joinpoint

if TYPE_CHECKING:
    import pandas as pd

    #: a data frame, or rows such as :func:`csv.DictReader` gives (numbers, not text)
    Surveillance = pd.DataFrame | Sequence[Mapping[str, object]]

__all__ = [
    "IncidenceRate",
    "LogisticTrend",
    "YearPrevalence",
    "check_surveillance",
    "hiv_joinpoints",
    "logistic_trend",
    "repeat_tester_incidence",
    "yearly_prevalence",
]


@dataclass(frozen=True)
class YearPrevalence:
    """Prevalence in one year with its Wilson interval (defined for 0 positives)."""

    year: int
    tested: int
    positive: int
    prevalence: float
    ci_low: float
    ci_high: float


_COLUMNS = ("year", "tested", "positive")


def _surveillance(data: Surveillance) -> np.ndarray:
    """Validated ``year, tested, positive`` as an integer array of shape (years, 3), sorted
    by year; ``data`` is a data frame or a sequence of rows (mappings)."""
    if hasattr(data, "columns"):  # a data frame
        names = {str(c) for c in data.columns}
        rows = len(data)
    else:
        names = set(data[0]) if len(data) else set(_COLUMNS)
        rows = len(data)
    missing = set(_COLUMNS) - names
    if missing:
        raise ValueError(
            f"surveillance data needs columns year, tested, positive; missing {sorted(missing)}"
        )
    if rows == 0:
        raise ValueError("surveillance data has no rows")
    if hasattr(data, "columns"):
        values = data[list(_COLUMNS)].to_numpy(float)
    else:
        cells = [[math.nan if row.get(c) is None else row[c] for c in _COLUMNS] for row in data]
        values = np.array(cells, dtype=float)
    if np.isnan(values).any() or not np.all(np.mod(values, 1) == 0):
        raise ValueError("year, tested and positive must be whole numbers with no blanks")
    table = values.astype(int)
    table = table[np.argsort(table[:, 0], kind="stable")]
    year, tested, positive = table.T
    if len(np.unique(year)) != len(year):
        raise ValueError("each year must appear once")
    if (tested <= 0).any():
        raise ValueError("every year needs at least one person tested")
    if ((positive < 0) | (positive > tested)).any():
        raise ValueError("positive must lie between 0 and tested")
    return table


def check_surveillance(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate ``year, tested, positive`` rows; return them sorted by year as integers."""
    import pandas as pd

    return pd.DataFrame(_surveillance(frame), columns=list(_COLUMNS))


def yearly_prevalence(frame: Surveillance, *, alpha: float = 0.05) -> list[YearPrevalence]:
    """Prevalence :math:`x_t/n_t` per year with Wilson intervals (see :func:`wilson_interval`).

    ``frame`` has columns ``year, tested, positive``: a data frame, or a sequence of rows
    (mappings from column to number), as :func:`logistic_trend` and :func:`hiv_joinpoints`.
    """
    data = _surveillance(frame)
    rows = []
    for year, tested, positive in data.tolist():
        low, high = wilson_interval(positive, tested, alpha)
        rows.append(
            YearPrevalence(int(year), int(tested), int(positive), positive / tested, low, high)
        )
    return rows


@dataclass(frozen=True)
class LogisticTrend:
    """Result of :func:`logistic_trend`.

    Attributes
    ----------
    odds_ratio_per_year : float
        :math:`e^{\\hat\\beta_1}`.
    ci_low, ci_high : float
        Wald interval :math:`e^{\\hat\\beta_1 \\pm z\\,\\mathrm{se}}` (R ``confint.default``).
    p_value : float
        Wald test of :math:`\\beta_1 = 0` (R ``summary(glm)``).
    slope, se : float
        :math:`\\hat\\beta_1` and its standard error.
    apc, apc_low, apc_high : float
        Annual percent change of prevalence, :math:`100(e^{\\hat\\gamma_1}-1)`, from the
        log-linear model :math:`\\log E(x_t) = \\log n_t + \\gamma_0 + \\gamma_1 t`.
    deviance : float
        Residual deviance of the logistic model.
    df_resid : int
        Residual degrees of freedom (years minus 2).
    alpha : float
    """

    odds_ratio_per_year: float
    ci_low: float
    ci_high: float
    p_value: float
    slope: float
    se: float
    apc: float
    apc_low: float
    apc_high: float
    deviance: float
    df_resid: int
    alpha: float

    def conf_int(self) -> tuple[float, float]:
        """Interval for the odds ratio per year."""
        return self.ci_low, self.ci_high

    def summary(self) -> str:
        """One-line human-readable summary."""
        return (
            f"OR per year {self.odds_ratio_per_year:.3f} ({self.ci_low:.3f}-{self.ci_high:.3f}), "
            f"p = {self.p_value:.4g}; APC {self.apc:.1f}% "
            f"({self.apc_low:.1f} to {self.apc_high:.1f})"
        )


def _separated(positive: np.ndarray, tested: np.ndarray) -> bool:
    """True when a year splits the data into all-negative and all-positive sides.

    Then (quasi-)complete separation makes the logistic and log-linear slopes infinite.
    Years are sorted; the year at the split itself may be mixed.
    """
    for pos, tot in ((positive, tested), (positive[::-1], tested[::-1])):
        for k in range(len(pos)):
            if np.all(pos[:k] == 0) and np.all(pos[k + 1 :] == tot[k + 1 :]):
                return True
    return False


def _glm(fit, *args) -> GLMFit:
    # Real separation is checked by _separated; numerical trouble inside this one fit
    # (overflow, an infinite standard error) is turned into a clear error.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit(*args)
    problems = sorted({str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)})
    if problems or not np.all(np.isfinite(result.bse)):
        raise ValueError("trend model cannot be estimated from these data: " + "; ".join(problems))
    return result


def logistic_trend(frame: Surveillance, *, alpha: float = 0.05) -> LogisticTrend:
    """Logistic regression of HIV prevalence on calendar year.

    Parameters
    ----------
    frame : DataFrame or sequence of mappings
        Columns ``year, tested, positive``; at least two years, with at least one
        positive and one negative result overall.
    alpha : float, default 0.05

    Returns
    -------
    LogisticTrend

    Notes
    -----
    :math:`x_t \\sim \\mathrm{Bin}(n_t, \\pi_t)`,
    :math:`\\mathrm{logit}\\,\\pi_t = \\beta_0 + \\beta_1 t`, fitted by IRLS (identical to
    R ``glm(cbind(positive, tested - positive) ~ year, family = binomial)``). Year is
    centred internally, which changes only the intercept. Assumes independent tests and
    a linear trend on the logit scale; overdispersion (residual deviance well above its
    df) makes the interval too narrow.

    References
    ----------
    McCullagh P, Nelder JA (1989). Generalized Linear Models, 2nd ed. Chapman & Hall.
    """
    a = check_alpha(alpha)
    data = _surveillance(frame).astype(float)
    if len(data) < 2:
        raise ValueError("a trend needs at least two years of data")
    t, tested, positives = data.T
    if positives.sum() == 0 or positives.sum() == tested.sum():
        raise ValueError("a trend needs at least one positive and one negative test overall")
    if _separated(positives, tested):
        raise ValueError(
            "the years separate negatives from positives (perfect separation): the trend "
            "is infinite and cannot be estimated"
        )
    exog = np.column_stack([np.ones_like(t), t - t.mean()])
    fit = _glm(fit_binomial_logit, positives, tested, exog)
    z = normal_quantile(a)
    slope, se = float(fit.params[1]), float(fit.bse[1])
    loglin = _glm(fit_poisson_log, positives, exog, np.log(tested))
    g, g_se = float(loglin.params[1]), float(loglin.bse[1])
    return LogisticTrend(
        odds_ratio_per_year=math.exp(slope),
        ci_low=math.exp(slope - z * se),
        ci_high=math.exp(slope + z * se),
        p_value=float(fit.pvalues[1]),
        slope=slope,
        se=se,
        apc=100 * math.expm1(g),
        apc_low=100 * math.expm1(g - z * g_se),
        apc_high=100 * math.expm1(g + z * g_se),
        deviance=float(fit.deviance),
        df_resid=int(fit.df_resid),
        alpha=a,
    )


def hiv_joinpoints(frame: Surveillance, **kwargs) -> Joinpoint:
    """Joinpoint model of log prevalence over years (keyword arguments go to :class:`Joinpoint`).

    Notes
    -----
    :math:`y_t = \\log\\{(x_t + 1/2)/(n_t + 1/2)\\}` with weights
    :math:`1/v_t`, :math:`v_t = 1/(x_t + 1/2) - 1/(n_t + 1/2)` (delta-method variance;
    the 1/2 keeps years with no positives finite). Segment slopes are then annual percent
    changes of prevalence, as in NCI Joinpoint's log-linear model.
    """
    data = _surveillance(frame).astype(float)
    x, n = data[:, 2] + 0.5, data[:, 1] + 0.5
    if len(data) < 2:
        raise ValueError("joinpoint regression needs at least two years")
    weights = 1.0 / np.maximum(1.0 / x - 1.0 / n, 1e-12)
    return Joinpoint(**kwargs).fit(data[:, 0], np.log(x / n), weights)
