"""Pooling several population-size estimates (e.g. multipliers) on the log scale.

Inverse-variance weighting of :math:`\\log \\hat N_i`, with Cochran's :math:`Q`,
:math:`I^2` and an optional DerSimonian-Laird random-effects variance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from estimation.intervals import normal_quantile

__all__ = ["CombinedMultiplier", "LogScaleEstimate", "combine_multipliers"]


class LogScaleEstimate(Protocol):
    """Anything with a positive ``estimate`` and the standard error of its logarithm."""

    estimate: float
    se_log: float


@dataclass(frozen=True)
class CombinedMultiplier:
    """Inverse-variance pooled multiplier estimate (see :func:`combine_multipliers`).

    Attributes
    ----------
    estimate, ci_low, ci_high : float
        Pooled :math:`\\hat N` and its interval.
    q : float
        Cochran's heterogeneity statistic :math:`Q`.
    df : int
        Degrees of freedom of :math:`Q` (number of estimates minus one).
    p_heterogeneity : float
        :math:`P(\\chi^2_{df} > Q)`.
    i_squared : float
        :math:`I^2 = \\max(0, (Q - df)/Q)`, share of variation due to heterogeneity.
    tau_squared : float
        DerSimonian-Laird between-estimate variance on the log scale.
    random_effects : bool
        Whether :math:`\\tau^2` was added to each variance.
    weights : tuple of float
        Normalised weights of the input estimates.
    """

    estimate: float
    ci_low: float
    ci_high: float
    q: float
    df: int
    p_heterogeneity: float
    i_squared: float
    tau_squared: float
    random_effects: bool
    weights: tuple[float, ...]

    def conf_int(self) -> tuple[float, float]:
        """Return ``(ci_low, ci_high)``."""
        return self.ci_low, self.ci_high

    def summary(self) -> str:
        """One-line human-readable summary."""
        kind = "random" if self.random_effects else "fixed"
        return (
            f"pooled N = {self.estimate:,.0f} (CI {self.ci_low:,.0f}-{self.ci_high:,.0f}; "
            f"{kind} effects, Q = {self.q:.2f} on {self.df} df, I2 = {100 * self.i_squared:.0f}%)"
        )


def combine_multipliers(
    estimates: Sequence[LogScaleEstimate],
    *,
    random_effects: bool = False,
    alpha: float = 0.05,
) -> CombinedMultiplier:
    """Pool several multiplier estimates by inverse variance on the log scale.

    Parameters
    ----------
    estimates : sequence of MultiplierEstimate (or any LogScaleEstimate)
        At least two estimates, each with a positive ``se_log``.
    random_effects : bool, default False
        Add the DerSimonian-Laird :math:`\\hat\\tau^2` to each variance.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    CombinedMultiplier

    Notes
    -----
    With :math:`y_i = \\log \\hat N_i`, :math:`w_i = 1/s_i^2`:
    :math:`\\bar y = \\sum w_i y_i / \\sum w_i`, :math:`Q = \\sum w_i (y_i - \\bar y)^2`,
    :math:`\\hat\\tau^2 = \\max\\{0, (Q - k + 1)/(\\sum w_i - \\sum w_i^2/\\sum w_i)\\}`,
    :math:`I^2 = \\max\\{0, (Q-k+1)/Q\\}`. The pooled interval is
    :math:`\\exp(\\bar y \\pm z/\\sqrt{\\sum w_i^*})`, :math:`w_i^* = 1/(s_i^2 + \\tau^2)`
    under random effects.

    Examples
    --------
    >>> from estimation.multiplier import multiplier_estimate
    >>> ost = multiplier_estimate(1505, 400, 100, method="log")
    >>> hiv = multiplier_estimate(2300, 380, 140, method="log")
    >>> round(combine_multipliers([ost, hiv]).estimate)
    6158

    References
    ----------
    DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control Clin Trials
    7:177-188. Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a
    meta-analysis. Stat Med 21:1539-1558.
    """
    from scipy import stats  # here, not at start-up: only pooling needs it

    if len(estimates) < 2:
        raise ValueError("combining needs at least two multiplier estimates")
    se = np.array([e.se_log for e in estimates], dtype=float)
    if np.any(se <= 0):
        raise ValueError("every estimate needs a positive standard error to be pooled")
    y = np.log([e.estimate for e in estimates])
    w = 1.0 / se**2
    mean_fixed = float(np.sum(w * y) / np.sum(w))
    q = float(np.sum(w * (y - mean_fixed) ** 2))
    df = len(estimates) - 1
    tau2 = max(0.0, (q - df) / (np.sum(w) - np.sum(w**2) / np.sum(w)))
    weights = 1.0 / (se**2 + tau2) if random_effects else w
    mean = float(np.sum(weights * y) / np.sum(weights))
    half = normal_quantile(alpha) / math.sqrt(float(np.sum(weights)))
    return CombinedMultiplier(
        estimate=math.exp(mean),
        ci_low=math.exp(mean - half),
        ci_high=math.exp(mean + half),
        q=q,
        df=df,
        p_heterogeneity=float(stats.chi2.sf(q, df)),
        i_squared=max(0.0, (q - df) / q) if q > 0 else 0.0,
        tau_squared=float(tau2),
        random_effects=random_effects,
        weights=tuple(float(v) for v in weights / np.sum(weights)),
    )
