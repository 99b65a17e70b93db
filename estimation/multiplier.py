"""Benchmark-multiplier estimation of a hidden population: :math:`N = B / p`.

A benchmark count :math:`B` (clients in treatment, on OST, HIV-registered, drug-related
deaths, arrests) is divided by the proportion :math:`p = x/n` of a survey sample of users
who report being in that benchmark. Several estimates are pooled on the log scale by
:func:`estimation.pooling.combine_multipliers`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from estimation.intervals import check_alpha, normal_quantile, wilson_interval

__all__ = [
    "METHODS",
    "MultiplierEstimate",
    "multiplier_estimate",
    "rate_per_100k",
]

METHODS = ("delta", "log", "wilson", "montecarlo")


@dataclass(frozen=True)
class MultiplierEstimate:
    """Result of :func:`multiplier_estimate`.

    Attributes
    ----------
    estimate : float
        Point estimate :math:`\\hat N = B / \\hat p`.
    ci_low, ci_high : float
        Confidence (or Monte Carlo percentile) interval for :math:`N`.
    method : str
        Interval method: ``"delta"``, ``"log"``, ``"wilson"`` or ``"montecarlo"``.
    benchmark : float
        Benchmark count :math:`B`.
    proportion : float
        :math:`\\hat p = x / n`.
    se_log : float
        Standard error of :math:`\\log \\hat N` (delta method); used to pool estimates.
    alpha : float
        One minus the confidence level.
    """

    estimate: float
    ci_low: float
    ci_high: float
    method: str
    benchmark: float
    proportion: float
    se_log: float
    alpha: float

    def conf_int(self) -> tuple[float, float]:
        """Return ``(ci_low, ci_high)``."""
        return self.ci_low, self.ci_high

    def estimate_and_interval(self) -> tuple[float, float, float]:
        """Return ``(estimate, ci_low, ci_high)``."""
        return self.estimate, self.ci_low, self.ci_high

    def per_registered(self, registered: float) -> tuple[float, float, float]:
        """Estimated users per registered user: ``(ratio, low, high)``."""
        if registered <= 0:
            raise ValueError("the registered count must be positive")
        return self.estimate / registered, self.ci_low / registered, self.ci_high / registered

    def summary(self) -> str:
        """One-line human-readable summary."""
        level = round(100 * (1 - self.alpha))
        return (
            f"N = {self.estimate:,.0f} ({level}% CI {self.ci_low:,.0f}-{self.ci_high:,.0f}; "
            f"B = {self.benchmark:,.0f}, p = {self.proportion:.4f}, method = {self.method})"
        )


def multiplier_estimate(
    benchmark: float,
    sample_size: int,
    in_benchmark: int,
    *,
    design_effect: float = 1.0,
    method: str = "delta",
    alpha: float = 0.05,
    benchmark_poisson: bool = False,
    n_sim: int = 10_000,
    mc_draws: str = "beta",
    seed: int | None = None,
) -> MultiplierEstimate:
    """Estimate a population size by the benchmark-multiplier method.

    Parameters
    ----------
    benchmark : float
        Benchmark count :math:`B > 0`.
    sample_size : int
        Survey sample size :math:`n`.
    in_benchmark : int
        Respondents who appear in the benchmark, :math:`0 < x \\le n`.
    design_effect : float, default 1.0
        Design effect :math:`D \\ge 1` of the survey (e.g. respondent-driven sampling);
        the effective sample size is :math:`n/D`.
    method : {"delta", "log", "wilson", "montecarlo"}
        Interval method (see Notes).
    alpha : float, default 0.05
        One minus the confidence level.
    benchmark_poisson : bool, default False
        Treat :math:`B` as a Poisson count and propagate its variance :math:`B`.
    n_sim : int, default 10000
        Monte Carlo draws (``method="montecarlo"`` only).
    mc_draws : {"beta", "binomial"}, default "beta"
        Uncertainty on :math:`p` for the Monte Carlo method: Jeffreys beta posterior, or
        the parametric bootstrap :math:`x^* \\sim \\mathrm{Bin}(n/D, \\hat p)`.
    seed : int, optional
        Seed for :func:`numpy.random.default_rng`.

    Returns
    -------
    MultiplierEstimate

    Raises
    ------
    ValueError
        If :math:`x = 0` (no respondent is in the benchmark: :math:`\\hat N` is unbounded),
        or :math:`x = n` with ``method`` ``"delta"``/``"log"`` (their standard error of
        :math:`\\hat p` is zero, so the interval would be spuriously exact; use
        ``"wilson"`` or ``"montecarlo"``).

    Notes
    -----
    With :math:`\\hat p = x/n`, :math:`V_p = D\\,\\hat p(1-\\hat p)/n` and
    :math:`V_B = B` if ``benchmark_poisson`` else 0:

    * delta: :math:`\\hat N \\pm z\\sqrt{V_B/\\hat p^2 + B^2 V_p/\\hat p^4}`, lower bound
      clipped at :math:`B` (at 0 with ``benchmark_poisson``): for small :math:`x` the
      symmetric interval would otherwise fall below the benchmark or below zero;
    * log: :math:`\\hat N \\exp(\\pm z\\,s)`, :math:`s^2 = V_B/B^2 + V_p/\\hat p^2`
      (always positive);
    * wilson: :math:`[B/p_U,\\,B/p_L]` with :math:`(p_L, p_U)` the Wilson interval for
      :math:`x/D` successes out of :math:`n/D` (finite for :math:`x = n`; ignores
      ``benchmark_poisson``);
    * montecarlo: percentiles of :math:`B^*/p^*` with
      :math:`p^* \\sim \\mathrm{Beta}(x/D + 1/2,\\,(n-x)/D + 1/2)` (Jeffreys) or
      :math:`p^* = x^*/(n/D)`, :math:`x^* \\sim \\mathrm{Bin}(\\lfloor n/D \\rceil, \\hat p)`,
      and :math:`B^* \\sim \\mathrm{Poisson}(B)` if ``benchmark_poisson``. A binomial
      draw of :math:`x^* = 0` makes :math:`B^*/p^*` infinite; if that reaches the upper
      percentile the bound is unbounded and ``ValueError`` is raised (use the beta draws).

    Assumes the survey and the benchmark cover the same population, period and
    definition, and that survey reports of benchmark contact are accurate.

    References
    ----------
    UNAIDS/WHO Working Group (2010). Guidelines on estimating the size of populations
    most at risk to HIV. EMCDDA (1999). Estimating the prevalence of problem drug use
    in Europe, Scientific Monograph 1 (multiplier methods).

    Examples
    --------
    >>> round(multiplier_estimate(1505, 400, 100).estimate)
    6020
    """
    a = check_alpha(alpha)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if benchmark <= 0:
        raise ValueError(f"benchmark count must be positive, got {benchmark!r}")
    if sample_size <= 0 or in_benchmark < 0 or in_benchmark > sample_size:
        raise ValueError(
            f"need 0 <= in_benchmark <= sample_size and sample_size > 0, "
            f"got in_benchmark={in_benchmark!r}, sample_size={sample_size!r}"
        )
    if design_effect < 1:
        raise ValueError(f"design effect must be >= 1, got {design_effect!r}")
    if in_benchmark == 0:
        raise ValueError(
            "no survey respondent appears in the benchmark (x = 0): N = B/p is unbounded; "
            "collect a larger survey or use another benchmark"
        )
    full = in_benchmark == sample_size
    if full and method in ("delta", "log"):
        raise ValueError(
            f"every respondent appears in the benchmark (x = n): the {method} method gives a "
            "zero-width interval for p; use --method wilson or montecarlo"
        )
    p = in_benchmark / sample_size
    estimate = benchmark / p
    var_p = design_effect * p * (1 - p) / sample_size
    var_b = float(benchmark) if benchmark_poisson else 0.0
    se_log = math.sqrt(var_b / benchmark**2 + var_p / p**2)
    z = normal_quantile(a)
    if method == "delta":
        se = math.sqrt(var_b / p**2 + benchmark**2 * var_p / p**4)
        low, high = (
            max(0.0 if benchmark_poisson else benchmark, estimate - z * se),
            estimate + z * se,
        )
    elif method == "log":
        low, high = estimate * math.exp(-z * se_log), estimate * math.exp(z * se_log)
    elif method == "wilson":
        p_low, p_high = wilson_interval(
            in_benchmark / design_effect, sample_size / design_effect, a
        )
        low, high = benchmark / p_high, benchmark / p_low
    else:
        low, high = _monte_carlo(
            benchmark, sample_size / design_effect, p, benchmark_poisson, mc_draws, n_sim, seed, a
        )
    return MultiplierEstimate(
        estimate=float(estimate),
        ci_low=float(low),
        ci_high=float(high),
        method=method,
        benchmark=float(benchmark),
        proportion=p,
        se_log=se_log,
        alpha=a,
    )


def rate_per_100k(count: float, population: float) -> float:
    """Return ``count`` per 100,000 population (:math:`10^5 \\cdot count / population`)."""
    if population <= 0:
        raise ValueError(f"population must be positive, got {population!r}")
    if count < 0:
        raise ValueError(f"count must be non-negative, got {count!r}")
    return 1e5 * count / population


def _monte_carlo(
    benchmark: float,
    n_eff: float,
    p: float,
    benchmark_poisson: bool,
    mc_draws: str,
    n_sim: int,
    seed: int | None,
    alpha: float,
) -> tuple[float, float]:
    if mc_draws not in ("beta", "binomial"):
        raise ValueError(f"mc_draws must be 'beta' or 'binomial', got {mc_draws!r}")
    if n_sim < 100:
        raise ValueError(f"n_sim must be at least 100, got {n_sim!r}")
    rng = np.random.default_rng(seed)
    if mc_draws == "beta":
        draws_p = rng.beta(p * n_eff + 0.5, (1 - p) * n_eff + 0.5, size=n_sim)
    else:
        size = max(1, round(n_eff))
        draws_p = rng.binomial(size, p, size=n_sim) / size
    draws_b = rng.poisson(benchmark, size=n_sim) if benchmark_poisson else benchmark
    unbounded = draws_p == 0
    if unbounded.sum() >= n_sim * alpha / 2 - 1:
        raise ValueError(
            "too many bootstrap surveys had nobody in the benchmark: the upper bound is "
            "unbounded; use mc_draws='beta' or a larger survey"
        )
    # The few infinite ratios lie beyond the upper percentile: any large finite value
    # stands in for them without changing the order statistics used.
    safe_p = np.where(unbounded, 1.0, draws_p)
    ratios = np.where(unbounded, np.inf, draws_b / safe_p)
    ratios[unbounded] = np.max(ratios[~unbounded])
    low, high = np.quantile(ratios, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)
