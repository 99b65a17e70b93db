"""Short-term projections of registered or estimated users under named growth scenarios.

Analysts in the region project 1-5 years ahead with annual growth ranges (DOMAIN §1):
trend extrapolation +5-7% a year, best case -2-3% a year, worst case +4-5% a year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DEFAULT_SCENARIOS", "Projection", "ProjectionYear", "parse_scenario", "project"]

#: Annual growth ranges in percent (low, high), from the analysts' short-term scenarios.
DEFAULT_SCENARIOS: dict[str, tuple[float, float]] = {
    "trend": (5.0, 7.0),
    "best": (-3.0, -2.0),
    "worst": (4.0, 5.0),
}


@dataclass(frozen=True)
class ProjectionYear:
    """One projected year of one scenario.

    Attributes
    ----------
    scenario : str
    year : int
    value : float
        Point projection at the mid growth rate from the base value.
    low, high : float
        Range from the low growth rate on the low base to the high rate on the high base.
    """

    scenario: str
    year: int
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Projection:
    """Result of :func:`project`.

    Attributes
    ----------
    base_year : int
    value, value_low, value_high : float
        Base value and its range (equal to ``value`` when no range was given).
    scenarios : dict
        Scenario name to (low, high) annual growth in percent.
    years : tuple of ProjectionYear
        Every scenario and year, ordered by scenario then year.
    """

    base_year: int
    value: float
    value_low: float
    value_high: float
    scenarios: dict[str, tuple[float, float]]
    years: tuple[ProjectionYear, ...]

    def for_scenario(self, name: str) -> list[ProjectionYear]:
        """Projected years of one scenario."""
        if name not in self.scenarios:
            raise ValueError(f"unknown scenario {name!r}; have {', '.join(self.scenarios)}")
        return [y for y in self.years if y.scenario == name]

    def summary(self) -> str:
        """Text table: one line per scenario and year."""
        lines = [f"base {self.base_year}: {self.value:,.0f}"]
        for y in self.years:
            lines.append(
                f"{y.scenario:<10} {y.year}: {y.value:>12,.0f} ({y.low:,.0f}-{y.high:,.0f})"
            )
        return "\n".join(lines)


def parse_scenario(text: str) -> tuple[str, tuple[float, float]]:
    """Parse ``NAME=LOW:HIGH`` (annual growth in percent), e.g. ``best=-3:-2``."""
    name, sep, bounds = text.partition("=")
    low, colon, high = bounds.partition(":")
    try:
        if not (sep and colon and name.strip()):
            raise ValueError
        values = float(low), float(high)
    except ValueError:
        raise ValueError(
            f"scenario must look like NAME=LOW:HIGH in percent, got {text!r}"
        ) from None
    return name.strip(), (min(values), max(values))


def project(
    base_year: int,
    value: float,
    *,
    years: int = 5,
    scenarios: Mapping[str, tuple[float, float]] | None = None,
    value_low: float | None = None,
    value_high: float | None = None,
) -> Projection:
    """Project a count ``years`` years ahead under annual growth scenarios.

    Parameters
    ----------
    base_year : int
        Year of the base value.
    value : float
        Base value :math:`V_0 > 0` (registered users, or an estimate).
    years : int, default 5
        Horizon, 1 to 5 years (longer horizons are not what these scenarios are for).
    scenarios : mapping, optional
        Name to (low, high) annual growth in percent; defaults to
        :data:`DEFAULT_SCENARIOS`.
    value_low, value_high : float, optional
        Interval of the base value (e.g. an estimate's CI), carried into the range.

    Returns
    -------
    Projection

    Notes
    -----
    Compound growth: point :math:`V_0 (1 + \\bar g)^t` with :math:`\\bar g` the mid
    rate; range :math:`[V_L (1 + g_L)^t,\\; V_U (1 + g_U)^t]`. These are scenarios, not
    statistical forecasts: the range carries no probability.

    Examples
    --------
    >>> p = project(2002, 85509, years=1)
    >>> round(p.for_scenario("trend")[0].value)
    90640
    """
    if not 1 <= int(years) <= 5 or int(years) != years:
        raise ValueError(f"years must be a whole number from 1 to 5, got {years!r}")
    low = value if value_low is None else value_low
    high = value if value_high is None else value_high
    if not 0 < low <= value <= high:
        raise ValueError(f"need 0 < value_low <= value <= value_high, got {low}, {value}, {high}")
    chosen = dict(DEFAULT_SCENARIOS if scenarios is None else scenarios)
    if not chosen:
        raise ValueError("at least one scenario is needed")
    rows: list[ProjectionYear] = []
    for name, (g_low, g_high) in chosen.items():
        if min(g_low, g_high) <= -100:
            raise ValueError(f"scenario {name!r}: growth must be above -100% a year")
        g_low, g_high = sorted((g_low / 100.0, g_high / 100.0))
        mid = (g_low + g_high) / 2.0
        for t in range(1, int(years) + 1):
            rows.append(
                ProjectionYear(
                    scenario=name,
                    year=int(base_year) + t,
                    value=value * (1 + mid) ** t,
                    low=low * (1 + g_low) ** t,
                    high=high * (1 + g_high) ** t,
                )
            )
    return Projection(
        base_year=int(base_year),
        value=float(value),
        value_low=float(low),
        value_high=float(high),
        scenarios={k: (float(v[0]), float(v[1])) for k, v in chosen.items()},
        years=tuple(rows),
    )
