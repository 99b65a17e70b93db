"""Retention on OST or in treatment: Kaplan-Meier curves and the log-rank test.

Cox models are in :mod:`estimation.cox`.

Durations are right-censored at the analysis date (see :mod:`estimation.episodes`).
Retention at 6 and 12 months is the Kaplan-Meier survival at 182 and 365 days.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from estimation.distributions import chi2_sf
from estimation.intervals import check_alpha, normal_quantile

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CONF_TYPES",
    "RetentionCurve",
    "LogrankResult",
    "RetentionPoint",
    "kaplan_meier",
    "logrank_test",
]

CONF_TYPES = ("log", "log-log", "plain")


@dataclass(frozen=True)
class RetentionPoint:
    """Survival (retention) at one time.

    ``survival``, ``ci_low`` and ``ci_high`` are None when the time lies beyond the last
    follow-up and the curve ended censored: retention there is not estimable.
    """

    time: float
    survival: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class RetentionCurve:
    """Kaplan-Meier estimate (see :func:`kaplan_meier`).

    Attributes
    ----------
    n, events : int
        Subjects and events.
    times : tuple of float
        Distinct event times.
    n_risk, n_event : tuple of int
        At risk and events at each event time.
    survival, std_err, ci_low, ci_high : tuple of float
        :math:`\\hat S(t)`, Greenwood standard error of :math:`\\hat S`, and the interval.
    median : float or None
        Median retention, None when the curve does not reach 0.5.
    median_ci : (float or None, float or None)
        R-style interval for the median (None where not reached).
    last_time : float
        Largest observed duration; beyond it retention is not estimable unless the
        curve has reached 0.
    conf_type : str
    alpha : float
    """

    n: int
    events: int
    times: tuple[float, ...]
    n_risk: tuple[int, ...]
    n_event: tuple[int, ...]
    survival: tuple[float, ...]
    std_err: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    median: float | None
    median_ci: tuple[float | None, float | None]
    last_time: float
    conf_type: str
    alpha: float

    def at(self, time: float) -> RetentionPoint:
        """Survival and interval at ``time`` (right-continuous step function)."""
        if time < 0:
            raise ValueError("time must be non-negative")
        ended = bool(self.survival) and self.survival[-1] == 0.0
        if time > self.last_time and not ended:
            return RetentionPoint(float(time), None, None, None)
        index = int(np.searchsorted(self.times, time, side="right")) - 1
        if index < 0:
            return RetentionPoint(float(time), 1.0, 1.0, 1.0)
        return RetentionPoint(
            float(time), self.survival[index], self.ci_low[index], self.ci_high[index]
        )

    @property
    def stderr(self) -> tuple[float, ...]:
        """Greenwood standard errors (the library's name; ``std_err`` is kept)."""
        return self.std_err

    @property
    def method(self) -> str:
        """Interval method (the library's name; ``conf_type`` is kept)."""
        return self.conf_type

    def conf_int(self) -> pd.DataFrame:
        """Interval at each event time, as a frame indexed by time."""
        import pandas as pd

        return pd.DataFrame(
            {"ci_low": self.ci_low, "ci_high": self.ci_high},
            index=pd.Index(self.times, name="time"),
        )

    def summary(self) -> pd.DataFrame:
        """R ``summary(survfit)``-style table."""
        import pandas as pd

        return pd.DataFrame(
            {
                "time": self.times,
                "n_risk": self.n_risk,
                "n_event": self.n_event,
                "survival": self.survival,
                "std_err": self.std_err,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
            }
        )

    def plot(self, ax=None, **kwargs):
        """Step plot of the curve with its interval; returns the matplotlib axes."""
        import matplotlib.pyplot as plt  # lazy: plotting is optional

        ax = ax or plt.gca()
        times = (0.0, *self.times)
        ax.step(times, (1.0, *self.survival), where="post", **kwargs)
        ax.fill_between(times, (1.0, *self.ci_low), (1.0, *self.ci_high), step="post", alpha=0.2)
        ax.set_xlabel("time")
        ax.set_ylabel("retention")
        return ax


def _validate(durations, events) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(durations, dtype=float)
    d = np.asarray(events, dtype=float)
    if t.ndim != 1 or t.shape != d.shape:
        raise ValueError("durations and events must be one-dimensional and of equal length")
    if len(t) == 0:
        raise ValueError("no subjects: the group is empty")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("durations must be finite and non-negative")
    if not np.all(np.isin(d, (0, 1))):
        raise ValueError("events must be 0 (censored) or 1 (left treatment)")
    return t, d


def _median(times, surv, level: float = 0.5) -> float | None:
    below = np.flatnonzero(np.asarray(surv) <= level + 1e-12)
    if len(below) == 0:
        return None
    i = below[0]
    # R's convention: where the curve sits exactly at 0.5, take the midpoint to the next time.
    if abs(surv[i] - level) < 1e-12 and i + 1 < len(times):
        return (times[i] + times[i + 1]) / 2
    return float(times[i])


def kaplan_meier(
    durations: ArrayLike,
    events: ArrayLike,
    *,
    alpha: float = 0.05,
    method: str | None = None,
    conf_type: str = "log",
) -> RetentionCurve:
    """Kaplan-Meier (product-limit) retention curve with Greenwood intervals.

    Parameters
    ----------
    durations : array-like
        Time in treatment (e.g. days), censored or not.
    events : array-like of {0, 1}
        1 if the person left treatment at that time, 0 if censored (still in treatment at
        the analysis date, transferred out, ...).
    alpha : float, default 0.05
    method : {"log", "log-log", "plain"}
        ``"log"`` is R ``survfit``'s default; ``"log-log"`` is lifelines' default.
    conf_type : str
        The former name of ``method``, kept for one release.

    Returns
    -------
    RetentionCurve

    Notes
    -----
    :math:`\\hat S(t) = \\prod_{t_j \\le t} (1 - d_j/n_j)`;
    Greenwood: :math:`\\sigma^2(t) = \\sum_{t_j \\le t} d_j / \\{n_j (n_j - d_j)\\}`
    (variance of :math:`\\log \\hat S`). Intervals: log
    :math:`\\hat S e^{\\pm z\\sigma}` (capped at 1); log-log
    :math:`\\hat S^{\\exp(\\pm z\\sigma/\\log\\hat S)}`; plain :math:`\\hat S(1 \\pm z\\sigma)`.
    Where :math:`\\hat S = 0` the interval is :math:`[0, 0]` (R reports NA). With no events
    the curve stays at 1 with interval :math:`[1, 1]` and the median is not reached. The
    median follows R: the first time with :math:`\\hat S \\le 0.5`; its interval runs from
    the first time the lower band reaches 0.5 to the first time the upper band does.
    Assumes censoring independent of retention.

    Examples
    --------
    >>> curve = kaplan_meier([5, 8, 12, 20], [1, 0, 1, 0])
    >>> curve.survival, curve.median
    ((0.75, 0.375), 12.0)

    References
    ----------
    Kaplan EL, Meier P (1958). Nonparametric estimation from incomplete observations.
    JASA 53:457-481. Therneau TM, Grambsch PM (2000). Modeling Survival Data. Springer.
    """
    a = check_alpha(alpha)
    conf_type = conf_type if method is None else method
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {', '.join(CONF_TYPES)}; got {conf_type!r}")
    t, d = _validate(durations, events)
    times, n_event = np.unique(t[d == 1], return_counts=True)
    n_risk = len(t) - np.searchsorted(np.sort(t), times, side="left")
    surv = np.cumprod(1.0 - n_event / n_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        # n_j = d_j (everyone left) makes the Greenwood term infinite; S is 0 from there.
        var_log = np.cumsum(n_event / (n_risk * (n_risk - n_event)))
        sigma = np.sqrt(var_log)
        z = normal_quantile(a)
        if conf_type == "log":
            low, high = surv * np.exp(-z * sigma), np.minimum(1.0, surv * np.exp(z * sigma))
        elif conf_type == "log-log":
            log_s = np.log(surv)
            low = surv ** np.exp(-z * sigma / log_s)
            high = surv ** np.exp(z * sigma / log_s)
        else:
            low = np.maximum(0.0, surv * (1 - z * sigma))
            high = np.minimum(1.0, surv * (1 + z * sigma))
        std_err = surv * sigma
    dead = (surv <= 0) | ~np.isfinite(sigma)
    low, high = np.where(dead, 0.0, low), np.where(dead, 0.0, high)
    std_err = np.where(dead, 0.0, std_err)
    return RetentionCurve(
        n=len(t),
        events=int(d.sum()),
        times=tuple(float(u) for u in times),
        n_risk=tuple(int(v) for v in n_risk),
        n_event=tuple(int(v) for v in n_event),
        survival=tuple(float(v) for v in surv),
        std_err=tuple(float(v) for v in std_err),
        ci_low=tuple(float(v) for v in low),
        ci_high=tuple(float(v) for v in high),
        median=_median(times, surv),
        # R reports no interval where S = 0, so those points cannot end the median's interval.
        median_ci=(
            _median(times, np.where(dead, np.nan, low)),
            _median(times, np.where(dead, np.nan, high)),
        ),
        last_time=float(t.max()),
        conf_type=conf_type,
        alpha=a,
    )


@dataclass(frozen=True)
class LogrankResult:
    """Log-rank test of equal retention across groups (:func:`logrank_test`).

    Attributes
    ----------
    chi_square : float
        The test statistic, as R's ``survival::survdiff``.
    p_value : float
        ``P(chi2_df > chi_square)``.
    df : int
        Number of groups minus one.

    Unpacks as ``chi_square, p_value, df`` (the tuple earlier releases returned).
    """

    chi_square: float
    p_value: float
    df: int

    def __iter__(self) -> Iterator[float | int]:
        return iter((self.chi_square, self.p_value, self.df))


def logrank_test(durations: ArrayLike, events: ArrayLike, groups: ArrayLike) -> LogrankResult:
    """Log-rank test of equal retention across groups.

    Returns a :class:`LogrankResult`, identical to R ``survival::survdiff`` (and to
    lifelines' ``multivariate_logrank_test``, which the tests compare).
    Raises ``ValueError`` with fewer than two non-empty groups.

    Notes
    -----
    At each distinct time :math:`t_j` with :math:`n_j` at risk (:math:`n_{gj}` in group
    :math:`g`) and :math:`d_j` events, group :math:`g` expects
    :math:`E_g = \\sum_j d_j n_{gj}/n_j` events; with
    :math:`V_{gh} = \\sum_j d_j (n_j - d_j)/(n_j - 1)\\, n_{gj}(\\delta_{gh} n_j - n_{hj})/n_j^2`
    the statistic is :math:`(O - E)^\\top V^{-1} (O - E)` over all groups but one, with
    as many degrees of freedom.
    """
    t, d = _validate(durations, events)
    g = np.asarray(groups)
    if len(g) != len(t):
        raise ValueError("groups must have one label per subject")
    labels = list(dict.fromkeys(g.tolist()))  # in order of appearance
    if len(labels) < 2:
        raise ValueError("a log-rank comparison needs at least two non-empty groups")
    index = {label: i for i, label in enumerate(labels)}
    code = np.array([index[v] for v in g.tolist()])
    times = np.unique(t)
    # At risk and events per time (rows) and group (columns).
    at_risk = np.column_stack(
        [
            len(t[code == k]) - np.searchsorted(np.sort(t[code == k]), times)
            for k in range(len(labels))
        ]
    ).astype(float)
    observed = np.column_stack(
        [
            np.bincount(np.searchsorted(times, t[(code == k) & (d == 1)]), minlength=len(times))
            for k in range(len(labels))
        ]
    ).astype(float)
    n, deaths = at_risk.sum(axis=1), observed.sum(axis=1)
    expected = at_risk * (deaths / n)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (n - deaths) / (n - 1)
    factor = np.where(np.isfinite(ratio), ratio, 1.0) * deaths / n**2
    weighted = at_risk * factor[:, None]
    V = np.diag(weighted.T @ n) - weighted.T @ at_risk
    Z = (observed - expected).sum(axis=0)
    chi_square = float(Z[:-1] @ np.linalg.pinv(V[:-1, :-1]) @ Z[:-1])
    df = len(labels) - 1
    return LogrankResult(chi_square, chi2_sf(chi_square, df), df)
