"""The analysts' regional table: estimated users per registered user, rates, and checks.

Published regional tables (DOMAIN §1) repeat derived figures — rates per 100,000 and
ratios to registered users — next to the counts they come from. :func:`regional_table`
recomputes every derived figure from the counts and reports where a published figure does
not follow, instead of silently repeating it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from estimation.multiplier import rate_per_100k

if TYPE_CHECKING:  # pandas takes a second to import: the command line does without
    import pandas as pd

__all__ = ["ConsistencyIssue", "RegionalRow", "RegionalTable", "regional_table"]

REQUIRED = ("country", "registered", "population", "estimate_low", "estimate_high")


@dataclass(frozen=True)
class ConsistencyIssue:
    """A published figure that does not follow from the counts.

    Attributes
    ----------
    country : str
        Row label.
    field : str
        Published column that disagrees (e.g. ``"published_rate_high"``).
    published : float
        Value as published.
    recomputed : float
        Value recomputed from the counts.
    message : str
        Human-readable explanation.
    """

    country: str
    field: str
    published: float
    recomputed: float
    message: str


@dataclass(frozen=True)
class RegionalRow:
    """One country of the regional table, with every derived figure recomputed.

    Attributes
    ----------
    country : str
    registered, population, estimate_low, estimate_high : float
        Inputs.
    per_registered_low, per_registered_high : float
        Estimated users per registered user, :math:`E/R`.
    rate_low, rate_high : float
        Estimated users per 100,000 population, :math:`10^5 E/P`.
    registered_rate : float
        Registered users per 100,000 population.
    published_rate_low, published_rate_high : float or None
        Published rates when given.
    """

    country: str
    registered: float
    population: float
    estimate_low: float
    estimate_high: float
    per_registered_low: float
    per_registered_high: float
    rate_low: float
    rate_high: float
    registered_rate: float
    published_rate_low: float | None
    published_rate_high: float | None


@dataclass(frozen=True)
class RegionalTable:
    """Result of :func:`regional_table`.

    Attributes
    ----------
    rows : tuple of RegionalRow
    issues : tuple of ConsistencyIssue
        Empty when every published figure agrees with the counts within ``tolerance``.
    total_registered, total_estimate_low, total_estimate_high : float
        Column totals.
    tolerance : float
        Allowed absolute difference per 100,000 (published figures are rounded).
    """

    rows: tuple[RegionalRow, ...]
    issues: tuple[ConsistencyIssue, ...]
    total_registered: float
    total_estimate_low: float
    total_estimate_high: float
    tolerance: float

    @property
    def consistent(self) -> bool:
        """True when no published figure disagrees with the counts."""
        return not self.issues

    def to_dict(self) -> dict:
        """Plain-JSON representation (used by the CLI)."""
        return {
            "rows": [asdict(row) for row in self.rows],
            "totals": {
                "registered": self.total_registered,
                "estimate_low": self.total_estimate_low,
                "estimate_high": self.total_estimate_high,
                "per_registered_low": self.total_estimate_low / self.total_registered,
                "per_registered_high": self.total_estimate_high / self.total_registered,
            },
            "consistent": self.consistent,
            "issues": [asdict(issue) for issue in self.issues],
        }

    def summary(self) -> str:
        """Text table with one line per country and one per issue."""
        lines = [
            f"{'country':<12} {'registered':>10} {'estimate':>17} {'per registered':>15} "
            f"{'per 100,000':>13}"
        ]
        for r in self.rows:
            lines.append(
                f"{r.country:<12} {r.registered:>10,.0f} "
                f"{r.estimate_low:>8,.0f}-{r.estimate_high:<8,.0f} "
                f"{r.per_registered_low:>7.1f}-{r.per_registered_high:<7.1f} "
                f"{r.rate_low:>6,.0f}-{r.rate_high:<6,.0f}"
            )
        lines.append(
            f"{'total':<12} {self.total_registered:>10,.0f} "
            f"{self.total_estimate_low:>8,.0f}-{self.total_estimate_high:<8,.0f}"
        )
        lines += [f"INCONSISTENT: {issue.message}" for issue in self.issues]
        return "\n".join(line.rstrip() for line in lines)


def table_records(
    table: pd.DataFrame | Sequence[Mapping[str, object]],
) -> tuple[list[str], list[dict[str, object]]]:
    """Column names and rows (as dictionaries) of a data frame or a sequence of mappings."""
    if hasattr(table, "to_dict"):  # a pandas DataFrame
        return [str(c) for c in table.columns], table.to_dict("records")
    rows = [dict(row) for row in table]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return columns, rows


def is_missing(value: object) -> bool:
    """A blank cell: ``None`` or NaN (as pandas reads an empty field)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def regional_table(
    frame: pd.DataFrame | Sequence[Mapping[str, object]],
    *,
    tolerance: float = 1.0,
    claimed_ratio: tuple[float, float] | None = None,
    claimed_total: float | None = None,
) -> RegionalTable:
    """Recompute a regional table of registered and estimated users and check it.

    Parameters
    ----------
    frame : pandas.DataFrame or sequence of mappings
        One row per country (a data frame, or rows as dictionaries), columns ``country,
        registered, population, estimate_low, estimate_high`` and
        optionally ``published_rate_low, published_rate_high`` (per 100,000).
    tolerance : float, default 1.0
        Largest allowed difference between a published and a recomputed rate per
        100,000 (published rates are rounded to whole numbers).
    claimed_ratio, claimed_total : optional
        A narrative claim such as "the real number is 10-15 times the registered one,
        about 350,000": checked against the registered total of the table.

    Returns
    -------
    RegionalTable

    Notes
    -----
    Ratio to registered users :math:`E/R`; rate :math:`10^5 E / P`. A published rate
    :math:`r` is inconsistent when :math:`|r - 10^5 E/P| > \\text{tolerance}`. Also
    checked: ``estimate_low <= estimate_high`` and ``registered <= estimate_low`` (an
    estimate of all users cannot be below the registered count).

    Examples
    --------
    >>> from estimation.datasets import load_central_asia_2003
    >>> table = regional_table(load_central_asia_2003())
    >>> [issue.country for issue in table.issues]
    ['Tajikistan']
    """
    columns, records = table_records(frame)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ValueError(f"regional table is missing columns: {', '.join(missing)}")
    if not records:
        raise ValueError("regional table has no rows")
    rows: list[RegionalRow] = []
    issues: list[ConsistencyIssue] = []
    for record in records:
        country = str(record["country"])
        registered, population = float(record["registered"]), float(record["population"])
        low, high = float(record["estimate_low"]), float(record["estimate_high"])
        if registered <= 0 or population <= 0 or low <= 0 or high <= 0:
            raise ValueError(f"{country}: counts and population must be positive")
        if low > high:
            issues.append(
                ConsistencyIssue(
                    country,
                    "estimate_low",
                    low,
                    high,
                    f"{country}: estimate range is reversed ({low:,.0f} > {high:,.0f})",
                )
            )
        if registered > low:
            issues.append(
                ConsistencyIssue(
                    country,
                    "estimate_low",
                    low,
                    registered,
                    f"{country}: the "
                    f"lower estimate {low:,.0f} is below the {registered:,.0f} "
                    "registered users",
                )
            )
        published = {}
        for bound, estimate in (("low", low), ("high", high)):
            field = f"published_rate_{bound}"
            value = record.get(field)
            published[bound] = None if is_missing(value) else float(value)
            recomputed = rate_per_100k(estimate, population)
            if published[bound] is not None and abs(published[bound] - recomputed) > tolerance:
                issues.append(
                    ConsistencyIssue(
                        country,
                        field,
                        published[bound],
                        recomputed,
                        f"{country}: published {bound} rate {published[bound]:,.0f} per "
                        f"100,000 does not follow from {estimate:,.0f} / {population:,.0f} "
                        f"= {recomputed:,.1f} per 100,000",
                    )
                )
        rows.append(
            RegionalRow(
                country=country,
                registered=registered,
                population=population,
                estimate_low=low,
                estimate_high=high,
                per_registered_low=low / registered,
                per_registered_high=high / registered,
                rate_low=rate_per_100k(low, population),
                rate_high=rate_per_100k(high, population),
                registered_rate=rate_per_100k(registered, population),
                published_rate_low=published["low"],
                published_rate_high=published["high"],
            )
        )
    total_registered = sum(r.registered for r in rows)
    if claimed_ratio is not None and claimed_total is not None:
        low_ratio, high_ratio = sorted(claimed_ratio)
        implied = claimed_total / total_registered
        if not low_ratio <= implied <= high_ratio:
            issues.append(
                ConsistencyIssue(
                    "total",
                    "claimed_total",
                    claimed_total,
                    implied,
                    f"total: a claimed {claimed_total:,.0f} users is {implied:.1f} times the "
                    f"{total_registered:,.0f} registered users of this table, not "
                    f"{low_ratio:g}-{high_ratio:g} times",
                )
            )
    return RegionalTable(
        rows=tuple(rows),
        issues=tuple(issues),
        total_registered=total_registered,
        total_estimate_low=sum(r.estimate_low for r in rows),
        total_estimate_high=sum(r.estimate_high for r in rows),
        tolerance=tolerance,
    )
