"""Shared interval helpers: Wilson score, exact Poisson, normal quantiles.

Small closed-form functions used by several estimators (multiplier, HIV trends,
count estimators). They take counts and return plain floats so that callers can
carry them into their own frozen result dataclasses.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

from estimation.distributions import chi2_quantile

__all__ = ["check_alpha", "exact_poisson_interval", "normal_quantile", "wilson_interval"]


def check_alpha(alpha: float) -> float:
    """Return ``alpha`` if it lies strictly between 0 and 1, else raise ``ValueError``."""
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    return float(alpha)


@lru_cache(maxsize=64)
def normal_quantile(alpha: float) -> float:
    """Return :math:`z_{1-\\alpha/2}`, the two-sided standard normal critical value.

    The standard library's ``NormalDist`` (Wichura's AS 241, 16 digits) spares the
    command line the import of scipy.

    Examples
    --------
    >>> round(normal_quantile(0.05), 6)
    1.959964
    """
    return NormalDist().inv_cdf(1.0 - check_alpha(alpha) / 2.0)


def wilson_interval(count: float, nobs: float, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Parameters
    ----------
    count : float
        Number of successes :math:`x` (may be fractional when ``nobs`` is an effective
        sample size after a design effect).
    nobs : float
        Number of trials :math:`n > 0`.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    (low, high) : tuple of float
        Bounds within :math:`[0, 1]`; defined for :math:`x = 0` and :math:`x = n`.

    Notes
    -----
    With :math:`\\hat p = x/n` and :math:`z = z_{1-\\alpha/2}`,

    .. math::

        \\frac{\\hat p + z^2/(2n) \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/(4n^2)}}{1 + z^2/n}.

    Matches ``statsmodels.stats.proportion.proportion_confint(method="wilson")`` and
    Newcombe's (1998) method 3.

    References
    ----------
    Wilson EB (1927). Probable inference, the law of succession, and statistical inference.
    JASA 22:209-212. Newcombe RG (1998). Two-sided confidence intervals for the single
    proportion: comparison of seven methods. Stat Med 17:857-872.

    Examples
    --------
    >>> [round(b, 4) for b in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    """
    if nobs <= 0:
        raise ValueError(f"number of trials must be positive, got {nobs!r}")
    if not 0 <= count <= nobs:
        raise ValueError(f"count must lie between 0 and {nobs}, got {count!r}")
    z = normal_quantile(alpha)
    p = count / nobs
    denom = 1.0 + z * z / nobs
    centre = (p + z * z / (2.0 * nobs)) / denom
    half = z * math.sqrt(p * (1.0 - p) / nobs + z * z / (4.0 * nobs * nobs)) / denom
    # In exact arithmetic x = 0 gives a lower bound of 0 and x = n an upper bound of 1;
    # floating point leaves ~1e-17 of noise there, so the boundaries are set exactly.
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == nobs else min(1.0, centre + half)
    return low, high


def exact_poisson_interval(
    count: int, exposure: float = 1.0, alpha: float = 0.05
) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson rate ``count / exposure``.

    Parameters
    ----------
    count : int
        Observed events :math:`k \\ge 0`.
    exposure : float, default 1.0
        Person-time (or other exposure) :math:`T > 0`.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    (low, high) : tuple of float
        Bounds for the rate; the lower bound is 0 when ``count`` is 0.

    Notes
    -----
    .. math::

        \\left[\\chi^2_{2k,\\,\\alpha/2} / (2T),\\;
        \\chi^2_{2k+2,\\,1-\\alpha/2} / (2T)\\right]

    The same interval as R's ``poisson.test(k, T)$conf.int``.

    References
    ----------
    Garwood F (1936). Fiducial limits for the Poisson distribution. Biometrika 28:437-442.
    """
    if count < 0 or int(count) != count:
        raise ValueError(f"count must be a non-negative integer, got {count!r}")
    if exposure <= 0:
        raise ValueError(f"exposure must be positive, got {exposure!r}")
    a = check_alpha(alpha)
    low = 0.0 if count == 0 else chi2_quantile(a / 2.0, 2 * int(count)) / 2.0
    high = chi2_quantile(1.0 - a / 2.0, 2 * int(count) + 2) / 2.0
    return low / exposure, high / exposure
