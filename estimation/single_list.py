"""Shared pieces of the single-list count estimators: frequencies, results, intervals."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from estimation.intervals import normal_quantile

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "INTERVALS",
    "CountEstimate",
    "frequency_table",
    "interval_method",
    "population_interval",
]

INTERVALS = ("lognormal", "normal")


@dataclass(frozen=True)
class CountEstimate:
    """A population size estimated from a single list.

    Attributes
    ----------
    name : str
        ``"chao"``, ``"zelterman"`` or ``"ztpoisson"``.
    estimate : float
        :math:`\\hat N = n + \\hat f_0`.
    ci_low, ci_high : float
        Interval for :math:`N` (never below the observed :math:`n`).
    se : float
        Standard error of :math:`\\hat N`.
    observed : int
        People on the list, :math:`n`.
    interval : str
        ``"lognormal"`` (Chao 1987) or ``"normal"``.
    alpha : float
        One minus the confidence level.
    note : str
        Any adjustment made (e.g. Chao's bias-corrected form when :math:`f_2 = 0`).
    """

    name: str
    estimate: float
    ci_low: float
    ci_high: float
    se: float
    observed: int
    interval: str
    alpha: float
    note: str = ""

    def conf_int(self) -> tuple[float, float]:
        """Return ``(ci_low, ci_high)``."""
        return self.ci_low, self.ci_high

    @property
    def abundance(self) -> float:
        """The population size :math:`\\hat N` (the library's name; ``estimate`` is kept)."""
        return self.estimate

    @property
    def stderr(self) -> float:
        """Standard error of :math:`\\hat N` (the library's name; ``se`` is kept)."""
        return self.se

    @property
    def method(self) -> str:
        """Interval method (the library's name; ``interval`` is kept)."""
        return self.interval

    def summary(self) -> str:
        """One-line human-readable summary."""
        extra = f"; {self.note}" if self.note else ""
        return (
            f"{self.name}: N = {self.estimate:,.0f} ({self.ci_low:,.0f}-{self.ci_high:,.0f}, "
            f"{self.interval}; n = {self.observed:,}{extra})"
        )


def frequency_table(
    data: Mapping[int, int] | pd.DataFrame | Iterable[tuple[int, int]],
) -> dict[int, int]:
    """Validate frequencies ``{k: f_k}`` (or a frame with columns ``count, freq``, or
    ``(k, f_k)`` pairs; a count given twice has its frequencies added).

    Counts must be positive integers (nobody is listed zero times) and frequencies
    non-negative integers, with at least one person listed.
    """
    if hasattr(data, "columns"):  # a data frame (pandas is not imported for the others)
        if not {"count", "freq"} <= set(data.columns):
            raise ValueError("frequency table needs columns 'count' and 'freq'")
        pairs = list(zip(data["count"], data["freq"], strict=True))
    elif isinstance(data, Mapping):
        pairs = list(data.items())
    else:
        pairs = [tuple(pair) for pair in data]
    table: dict[int, int] = {}
    for k, f in pairs:
        try:
            whole = not (_blank(k) or _blank(f)) and float(k) == int(k) and float(f) == int(f)
        except (TypeError, ValueError):
            whole = False
        if not whole:
            raise ValueError(f"counts and frequencies must be whole numbers, got {k!r}: {f!r}")
        k, f = int(k), int(f)
        if k < 1:
            raise ValueError(f"count {k} is not observable on a list; counts start at 1")
        if f < 0:
            raise ValueError(f"frequency of count {k} is negative")
        table[k] = table.get(k, 0) + f
    if sum(table.values()) == 0:
        raise ValueError("the frequency table lists nobody")
    return dict(sorted(table.items()))


def _blank(value) -> bool:
    """A missing cell: None or NaN (what ``pandas.isna`` says of a scalar; pandas' own
    missing values, ``NA`` and ``NaT``, fail the conversion to a number instead)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def interval_method(method: str | None, interval: str) -> str:
    """``method=`` is the library's name for the interval choice; ``interval=`` is accepted
    for one more release and used when ``method`` is not given."""
    return interval if method is None else method


def population_interval(
    n: int, f0: float, var: float, interval: str, alpha: float
) -> tuple[float, float]:
    """Interval for :math:`N = n + f_0` given :math:`\\widehat{\\mathrm{var}}(\\hat N)`.

    ``"normal"``: :math:`n + \\hat f_0 \\pm z\\sqrt{v}`, lower bound clipped at :math:`n`.
    ``"lognormal"`` (Chao 1987): :math:`[n + \\hat f_0/C, n + \\hat f_0 C]`,
    :math:`C = \\exp\\{z\\sqrt{\\log(1 + v/\\hat f_0^2)}\\}`. With :math:`\\hat f_0 = 0`
    or :math:`v = 0` the interval is :math:`[n, n + \\hat f_0]`.
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}; got {interval!r}")
    z = normal_quantile(alpha)
    if f0 <= 0 or var <= 0:
        return float(n), float(n) + max(f0, 0.0)
    if interval == "normal":
        return max(float(n), n + f0 - z * math.sqrt(var)), n + f0 + z * math.sqrt(var)
    c = math.exp(z * math.sqrt(math.log1p(var / f0**2)))
    return n + f0 / c, n + f0 * c
