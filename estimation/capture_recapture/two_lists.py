"""Two-list estimators: Lincoln-Petersen and Chapman.

With ``n1`` people on list 1, ``n2`` on list 2 and ``m`` on both,

.. math:: \\hat N_{LP} = \\frac{n_1 n_2}{m}, \\qquad
          \\hat N_C = \\frac{(n_1 + 1)(n_2 + 1)}{m + 1} - 1,

and Seber's (1970) variance of Chapman's estimator is

.. math:: \\widehat{Var}(\\hat N_C) =
          \\frac{(n_1 + 1)(n_2 + 1)(n_1 - m)(n_2 - m)}{(m + 1)^2 (m + 2)}.

Both assume a closed population, independent lists and equal catchability.

References
----------
Chapman, D. G. (1951). Some properties of the hypergeometric distribution with
applications to zoological sample censuses. Univ. California Publ. Statist. 1, 131-160.
Seber, G. A. F. (1970). The effects of trap response on tag recapture estimates.
Biometrics 26, 13-22.
Chao, A. (1987). Estimating the population size for capture-recapture data with unequal
catchability. Biometrics 43, 783-791 (log-transformed interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from estimation.capture_recapture.intervals import chao_log_interval, normal_quantile

__all__ = ["PetersenResult", "petersen"]


@dataclass(frozen=True)
class PetersenResult:
    """Two-list estimate.

    Attributes
    ----------
    n1, n2, m : int
        People on list 1, list 2 and both.
    lincoln_petersen : float
        ``n1 n2 / m`` (``inf`` when ``m = 0``).
    chapman : float
        Chapman's nearly unbiased estimator.
    stderr : float
        Square root of Seber's variance of Chapman's estimator.
    """

    n1: int
    n2: int
    m: int
    lincoln_petersen: float
    chapman: float
    stderr: float

    @property
    def observed(self) -> int:
        """Distinct people observed, ``n1 + n2 - m``."""
        return self.n1 + self.n2 - self.m

    def conf_int(self, alpha: float = 0.05, method: str = "chao") -> tuple[float, float]:
        """Interval for ``N`` around Chapman's estimate.

        ``method="chao"`` (default): Chao's log-transformed interval, never below the observed
        count. ``method="normal"``: ``N ± z se``.
        """
        if not 0 < alpha < 1:
            raise ValueError("alpha must be between 0 and 1")
        if method == "normal":
            z = normal_quantile(alpha)
            return self.chapman - z * self.stderr, self.chapman + z * self.stderr
        if method == "chao":
            return chao_log_interval(self.observed, self.chapman, self.stderr, alpha)
        raise ValueError(f"unknown interval method {method!r}: use chao or normal")

    def summary(self, alpha: float = 0.05) -> str:
        """Short text report."""
        low, high = self.conf_int(alpha)
        return (
            f"n1 = {self.n1}, n2 = {self.n2}, on both m = {self.m}\n"
            f"Lincoln-Petersen N = {self.lincoln_petersen:.1f}\n"
            f"Chapman N = {self.chapman:.1f} (se {self.stderr:.1f})\n"
            f"{100 * (1 - alpha):g}% log-transformed interval: {low:.1f} to {high:.1f}"
        )


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not math.isfinite(value) or value != int(value):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value!r}")
    return int(value)


def petersen(n1: int, n2: int, m: int) -> PetersenResult:
    """Lincoln-Petersen and Chapman estimates from two lists.

    Parameters
    ----------
    n1, n2 : int
        Number of people on each list.
    m : int
        Number of people on both lists (after record linkage).

    Examples
    --------
    >>> r = petersen(500, 400, 100)
    >>> r.lincoln_petersen, round(r.chapman, 1)
    (2000.0, 1988.1)
    """
    n1, n2, m = _count(n1, "n1"), _count(n2, "n2"), _count(m, "m")
    if m > min(n1, n2):
        raise ValueError(f"m ({m}) cannot exceed n1 ({n1}) or n2 ({n2})")
    if n1 == 0 or n2 == 0:
        raise ValueError("each list must capture somebody")
    lp = n1 * n2 / m if m else float("inf")
    chapman = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    variance = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    return PetersenResult(n1, n2, m, lp, chapman, math.sqrt(variance))
