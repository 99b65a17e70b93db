"""Synthesis: one considered estimate from several estimates of the same population.

A Bayesian hierarchical (random-effects) combination on the log scale, as in the
triangulation and Anchored Multiplier literature, computed exactly: the consensus is
integrated out analytically given the heterogeneity :math:`\\tau`, and :math:`\\tau` on a
grid (no MCMC). docs/methods/synthesis.md gives the model, the prior and its sources.

Public interface::

    SynthesisInput(label, estimate, ci_low, ci_high, weight=1.0, alpha=0.05)
    synthesise(inputs, *, tau_scale=0.5, alpha=0.05, grid=2001) -> Synthesis
    Synthesis: estimate, ci_low, ci_high, tau_median, tau_low, tau_high, influences,
               q, df, p_heterogeneity, i_squared, disjoint, warnings, inputs
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from estimation.intervals import normal_quantile

__all__ = ["DEFAULT_TAU_SCALE", "Influence", "Synthesis", "SynthesisInput", "synthesise"]

#: Scale of the half-normal prior on :math:`\tau` (log scale): half-normal(0.5) puts 95%
#: of its mass below 0.98, i.e. the methods' targets may differ by a factor of up to
#: about e^0.98 = 2.7 (Röver et al. 2021: a weakly informative choice on log scales).
DEFAULT_TAU_SCALE = 0.5
#: The prior's quantile where the grid of :math:`\tau` ends (the rest is negligible).
_TAIL = 1e-7
#: Heterogeneity warnings: Cochran's Q below this p-value (0.10, as meta-analysis uses
#: for a test of low power), or the intervals of two inputs do not overlap.
P_HETEROGENEITY = 0.10


@dataclass(frozen=True)
class SynthesisInput:
    """One estimate to combine: its value, its interval and the confidence given it.

    ``weight`` (> 0) divides the variance of its logarithm: 1 takes the interval as
    stated, 0.5 doubles its variance (less trusted), 2 halves it. ``alpha`` is one minus
    the level of its interval (0.05: a 95% interval).
    """

    label: str
    estimate: float
    ci_low: float
    ci_high: float
    weight: float = 1.0
    alpha: float = 0.05

    def __post_init__(self) -> None:
        name = self.label or "an input"
        if not all(map(math.isfinite, (self.estimate, self.ci_low, self.ci_high, self.weight))):
            raise ValueError(f"{name}: the estimate, its interval and weight must be finite")
        if not 0 < self.ci_low <= self.estimate <= self.ci_high:
            raise ValueError(f"{name}: needs 0 < ci_low <= estimate <= ci_high")
        if self.ci_low == self.ci_high:
            raise ValueError(f"{name}: an interval of zero width cannot be weighed")
        if self.weight <= 0:
            raise ValueError(f"{name}: the confidence weight must be positive")
        if not 0 < self.alpha < 1:
            raise ValueError(f"{name}: alpha must be between 0 and 1")

    @property
    def log_sd(self) -> float:
        """Standard deviation of :math:`\\log N` implied by the interval (its width over
        :math:`2 z_{1-\\alpha/2}`)."""
        width = math.log(self.ci_high) - math.log(self.ci_low)
        return width / (2 * normal_quantile(self.alpha))


@dataclass(frozen=True)
class Influence:
    """How much one input moved the consensus.

    ``weight``: its posterior weight, :math:`E[w_i(\\tau) \\mid y]` with
    :math:`w_i(\\tau) = v_i(\\tau)^{-1} / \\sum_j v_j(\\tau)^{-1}` (the weights sum to 1);
    ``without``: the consensus recomputed without it (with two inputs, the other input's
    own estimate); ``shift``: :math:`\\log(\\text{consensus}/\\text{without})`, the
    relative move it caused (0.1: about 10% higher because of it).
    """

    weight: float
    without: float
    shift: float


@dataclass(frozen=True)
class Synthesis:
    """The consensus of several estimates (see :func:`synthesise`).

    Attributes
    ----------
    estimate, ci_low, ci_high : float
        Posterior median of :math:`N = e^\\mu` and its equal-tailed credible interval.
    tau_median, tau_low, tau_high : float
        Posterior median and interval of the heterogeneity :math:`\\tau` (log scale).
    influences : tuple of Influence
        One per input, in the inputs' order.
    q, df, p_heterogeneity, i_squared : float, int, float, float
        Cochran's Q of the weighted inputs (fixed effect), its degrees of freedom, its
        p-value and :math:`I^2` (descriptive; the model does not use them).
    disjoint : tuple of (int, int)
        Pairs of inputs whose stated intervals do not overlap.
    warnings : tuple of str
        ``"disjoint_intervals"``, ``"heterogeneity"`` (p below :data:`P_HETEROGENEITY`).
    inputs : tuple of SynthesisInput
        Everything combined, with its weight, for reproducibility.
    common : tuple of float
        ``(estimate, ci_low, ci_high)`` with :math:`\\tau = 0`, i.e. if every input
        estimated the same quantity (inverse-variance pooling): how much of the
        interval's width the heterogeneity accounts for.
    tau_scale, alpha : float
        The prior's scale and one minus the credible level.
    """

    estimate: float
    ci_low: float
    ci_high: float
    tau_median: float
    tau_low: float
    tau_high: float
    influences: tuple[Influence, ...]
    q: float
    df: int
    p_heterogeneity: float
    i_squared: float
    disjoint: tuple[tuple[int, int], ...]
    warnings: tuple[str, ...]
    inputs: tuple[SynthesisInput, ...]
    common: tuple[float, float, float]
    tau_scale: float
    alpha: float

    def conf_int(self) -> tuple[float, float]:
        """Return ``(ci_low, ci_high)``."""
        return self.ci_low, self.ci_high

    def summary(self) -> str:
        """One-line human-readable summary."""
        return (
            f"consensus N = {self.estimate:,.0f} (credible interval {self.ci_low:,.0f}-"
            f"{self.ci_high:,.0f}; tau = {self.tau_median:.2f}, {len(self.inputs)} inputs)"
        )


@dataclass(frozen=True)
class _Posterior:
    """The posterior of :math:`\\mu` as a mixture over the grid of :math:`\\tau`."""

    tau: np.ndarray  # grid
    mass: np.ndarray  # posterior probability of each grid point (sums to 1)
    mean: np.ndarray  # E[mu | tau, y]
    sd: np.ndarray  # sd[mu | tau, y]
    shares: np.ndarray  # w_i(tau), grid x inputs

    def cdf(self, value: float) -> float:
        from scipy.special import ndtr

        return float(np.sum(self.mass * ndtr((value - self.mean) / self.sd)))

    def quantile(self, p: float) -> float:
        from scipy.optimize import brentq

        spread = 12 * float(self.sd.max())
        low, high = float(self.mean.min()) - spread, float(self.mean.max()) + spread
        return float(brentq(lambda x: self.cdf(x) - p, low, high, xtol=1e-12, rtol=1e-14))

    def tau_quantile(self, p: float) -> float:
        if len(self.tau) == 1:
            return float(self.tau[0])
        return float(np.interp(p, np.cumsum(self.mass) - self.mass / 2, self.tau))


def _posterior(y: np.ndarray, s2: np.ndarray, tau_scale: float, grid: int) -> _Posterior:
    """Exact posterior of :math:`\\mu` (flat prior) and :math:`\\tau` (half-normal) on a grid.

    Given :math:`\\tau`, :math:`\\mu \\mid \\tau, y \\sim N(\\hat\\mu(\\tau), V(\\tau))`
    with :math:`V = 1/\\sum v_i^{-1}`, :math:`\\hat\\mu = V \\sum y_i/v_i`,
    :math:`v_i = s_i^2 + \\tau^2`; and :math:`p(\\tau \\mid y) \\propto p(\\tau) V^{1/2}
    \\prod_i v_i^{-1/2} \\exp(-(y_i-\\hat\\mu)^2 / 2v_i)` (Gelman et al., BDA3 §5.7).
    """
    if tau_scale == 0:
        tau = np.zeros(1)
        step = np.ones(1)
    else:
        from scipy.special import ndtri

        top = tau_scale * float(ndtri(1 - _TAIL / 2))
        tau = np.linspace(0.0, top, grid)
        step = np.full(grid, tau[1])  # trapezoid rule: half weight at the ends
        step[[0, -1]] /= 2
    v = s2[None, :] + tau[:, None] ** 2
    precision = 1 / v
    total = precision.sum(axis=1)
    mean = (precision * y[None, :]).sum(axis=1) / total
    resid = ((y[None, :] - mean[:, None]) ** 2 * precision).sum(axis=1)
    log_post = -0.5 * np.log(total) - 0.5 * np.log(v).sum(axis=1) - 0.5 * resid
    if tau_scale > 0:
        log_post -= 0.5 * (tau / tau_scale) ** 2
    mass = np.exp(log_post - log_post.max()) * step
    mass /= mass.sum()
    return _Posterior(tau, mass, mean, 1 / np.sqrt(total), precision / total[:, None])


def _heterogeneity(y: np.ndarray, s2: np.ndarray) -> tuple[float, int, float, float]:
    from scipy.stats import chi2

    w = 1 / s2
    q = float(np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2))
    df = len(y) - 1
    i_squared = max(0.0, (q - df) / q) if q > 0 else 0.0
    return q, df, float(chi2.sf(q, df)), i_squared


def _disjoint(inputs: Sequence[SynthesisInput]) -> tuple[tuple[int, int], ...]:
    return tuple(
        (i, j)
        for i, a in enumerate(inputs)
        for j, b in enumerate(inputs)
        if i < j and (a.ci_high < b.ci_low or b.ci_high < a.ci_low)
    )


def synthesise(
    inputs: Sequence[SynthesisInput],
    *,
    tau_scale: float = DEFAULT_TAU_SCALE,
    alpha: float = 0.05,
    grid: int = 2001,
) -> Synthesis:
    """Combine estimates of one population into a consensus with a credible interval.

    Parameters
    ----------
    inputs : sequence of SynthesisInput
        Two or more estimates of the same population, area and period.
    tau_scale : float, default 0.5
        Scale of the half-normal prior on the between-input standard deviation
        :math:`\\tau` of :math:`\\log N`; 0 assumes the inputs estimate the same quantity
        (no heterogeneity: inverse-variance pooling).
    alpha : float, default 0.05
        One minus the credible level of the consensus interval.
    grid : int, default 2001
        Points of the grid of :math:`\\tau` (from 0 to the prior's
        :math:`1 - 10^{-7}` quantile).

    Returns
    -------
    Synthesis

    Notes
    -----
    With :math:`y_i = \\log \\hat N_i` and :math:`s_i` the standard deviation its interval
    implies, divided by the confidence weight :math:`c_i` as a variance
    (:math:`s_i^2/c_i`):

    .. math::

        y_i \\mid \\theta_i \\sim N(\\theta_i, s_i^2/c_i), \\quad
        \\theta_i \\sim N(\\mu, \\tau^2), \\quad
        p(\\mu) \\propto 1, \\quad \\tau \\sim \\text{half-normal}(\\sigma_\\tau).

    The consensus is :math:`e^\\mu`: its posterior median and equal-tailed interval.
    :math:`\\mu` is integrated analytically given :math:`\\tau` (a normal), and
    :math:`\\tau` by the trapezoid rule, so the posterior of :math:`\\mu` is a mixture of
    normals whose quantiles are found by root finding.

    Examples
    --------
    >>> a = SynthesisInput("capture-recapture", 10000, 8000, 12500)
    >>> round(synthesise([a, a]).estimate)
    10000

    References
    ----------
    Gelman A, Carlin JB, Stern HS, Dunson DB, Vehtari A, Rubin DB (2013). Bayesian Data
    Analysis, 3rd ed., §5.7. Röver C (2020). Bayesian random-effects meta-analysis using
    the bayesmeta R package. J Stat Softw 93(6). Friede T, Röver C, Wandel S,
    Neuenschwander B (2017). Meta-analysis of few small studies in orphan diseases. Res
    Synth Methods 8:79-91. Röver C, Bender R, Dias S, Schmid CH, Schmidli H, Sturtz S,
    Weber S, Friede T (2021). On weakly informative prior distributions for the
    heterogeneity parameter in Bayesian random-effects meta-analysis. Res Synth Methods
    12:448-474. Wesson P, Mirzazadeh A, McFarland W (2018). A Bayesian approach
    to synthesize estimates of the size of hidden populations: the Anchored Multiplier.
    Int J Epidemiol 47:1636-1644.
    """
    inputs = tuple(inputs)
    if len(inputs) < 2:
        raise ValueError("a synthesis needs at least two estimates")
    if not (math.isfinite(tau_scale) and tau_scale >= 0):
        raise ValueError("tau_scale must be zero or positive")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    if grid < 3:
        raise ValueError("the grid needs at least 3 points")
    y = np.log([i.estimate for i in inputs])
    s2 = np.array([i.log_sd**2 / i.weight for i in inputs])
    posterior = _posterior(y, s2, tau_scale, grid)
    median = posterior.quantile(0.5)
    weights = posterior.mass @ posterior.shares
    influences = []
    for k in range(len(inputs)):
        keep = np.arange(len(inputs)) != k
        without = _posterior(y[keep], s2[keep], tau_scale, grid).quantile(0.5)
        influences.append(Influence(float(weights[k]), math.exp(without), median - without))
    pooled = _posterior(y, s2, 0.0, grid)
    common = tuple(math.exp(pooled.quantile(q)) for q in (0.5, alpha / 2, 1 - alpha / 2))
    q, df, p, i_squared = _heterogeneity(y, s2)
    disjoint = _disjoint(inputs)
    warnings = (("disjoint_intervals",) if disjoint else ()) + (
        ("heterogeneity",) if p < P_HETEROGENEITY else ()
    )
    return Synthesis(
        estimate=math.exp(median),
        ci_low=math.exp(posterior.quantile(alpha / 2)),
        ci_high=math.exp(posterior.quantile(1 - alpha / 2)),
        tau_median=posterior.tau_quantile(0.5),
        tau_low=posterior.tau_quantile(alpha / 2),
        tau_high=posterior.tau_quantile(1 - alpha / 2),
        influences=tuple(influences),
        q=q,
        df=df,
        p_heterogeneity=p,
        i_squared=i_squared,
        disjoint=disjoint,
        warnings=warnings,
        inputs=inputs,
        common=common,  # type: ignore[arg-type]
        tau_scale=float(tau_scale),
        alpha=float(alpha),
    )
