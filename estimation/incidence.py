"""HIV incidence among repeat testers: person-time from test histories and exact intervals.

People who test negative and are tested again contribute person-time at risk; a later
positive test is a seroconversion, dated (by convention) at the midpoint between the last
negative and the first positive test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from estimation.intervals import check_alpha, exact_poisson_interval

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["IncidenceRate", "RepeatTesters", "repeat_tester_incidence", "repeat_tester_person_time"]

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class IncidenceRate:
    """Seroconversions per 100 person-years with an exact Poisson interval."""

    events: int
    person_years: float
    rate_per_100py: float
    ci_low: float
    ci_high: float
    alpha: float

    def conf_int(self) -> tuple[float, float]:
        """Return ``(ci_low, ci_high)`` per 100 person-years."""
        return self.ci_low, self.ci_high


def repeat_tester_incidence(
    seroconversions: int, person_years: float, *, alpha: float = 0.05
) -> IncidenceRate:
    """HIV incidence among repeat testers, per 100 person-years.

    Parameters
    ----------
    seroconversions : int
        People negative at one test and positive at a later one.
    person_years : float
        Time at risk: from the first negative test to the last negative test, or to the
        midpoint between the last negative and the first positive test for seroconverters.
    alpha : float, default 0.05

    Notes
    -----
    :math:`100\\,k/T` with the Garwood interval (R ``poisson.test(k, T)``), see
    :func:`estimation.intervals.exact_poisson_interval`. With :math:`k = 0` the lower
    bound is 0 and the upper bound is :math:`-\\log(\\alpha/2)/T` per person-year.
    Repeat testers are a selected group: the rate may not represent all PWID.

    Examples
    --------
    >>> rate = repeat_tester_incidence(12, 830)
    >>> round(rate.rate_per_100py, 2), round(rate.ci_low, 2), round(rate.ci_high, 2)
    (1.45, 0.75, 2.53)
    """
    low, high = exact_poisson_interval(seroconversions, person_years, alpha)
    return IncidenceRate(
        events=int(seroconversions),
        person_years=float(person_years),
        rate_per_100py=100 * seroconversions / person_years,
        ci_low=100 * low,
        ci_high=100 * high,
        alpha=check_alpha(alpha),
    )


@dataclass(frozen=True)
class RepeatTesters:
    """Result of :func:`repeat_tester_person_time`.

    Attributes
    ----------
    seroconversions : int
        People with a positive test after a negative one.
    person_years : float
        Time at risk in years (days / 365.25).
    repeat_testers : int
        People with a negative test followed by any later test.
    excluded_prevalent : int
        People whose first test was positive (not at risk; left out).
    """

    seroconversions: int
    person_years: float
    repeat_testers: int
    excluded_prevalent: int

    def incidence(self, *, alpha: float = 0.05) -> IncidenceRate:
        """Seroconversions per 100 person-years (see :func:`repeat_tester_incidence`)."""
        return repeat_tester_incidence(self.seroconversions, self.person_years, alpha=alpha)


def repeat_tester_person_time(
    tests: pd.DataFrame,
    *,
    client_col: str = "client_id",
    date_col: str = "date",
    result_col: str = "result",
) -> RepeatTesters:
    """Person-time at risk and seroconversions from HIV test records.

    Parameters
    ----------
    tests : DataFrame
        One row per test: client key, date and result (1/"positive" or 0/"negative").
    client_col, date_col, result_col : str
        Column names.

    Returns
    -------
    RepeatTesters

    Notes
    -----
    For each client, tests are ordered by date and followed from the first negative test.
    With a later positive test, time at risk ends at the midpoint between the last
    negative and the first positive test (one seroconversion); otherwise at the last
    negative test. Tests after the first positive are ignored. Clients whose first test
    is positive are prevalent cases and excluded; a single negative test contributes no
    time.

    Examples
    --------
    >>> import pandas as pd
    >>> tests = pd.DataFrame({"client_id": [1, 1, 2, 2, 2],
    ...                       "date": ["2020-01-01", "2021-01-01", "2020-01-01",
    ...                                "2020-07-01", "2021-07-01"],
    ...                       "result": [0, 1, 0, 0, 0]})
    >>> result = repeat_tester_person_time(tests)
    >>> result.seroconversions, round(result.person_years, 2)
    (1, 2.0)
    """
    import pandas as pd

    for column in (client_col, date_col, result_col):
        if column not in tests.columns:
            raise ValueError(f"test records have no column {column!r}")
    data = tests[[client_col, date_col, result_col]].copy()
    data[date_col] = pd.to_datetime(data[date_col], errors="coerce")
    codes = {0: 0, 1: 1, "0": 0, "1": 1, "negative": 0, "positive": 1}  # True == 1
    data["positive"] = data[result_col].map(
        lambda v: codes.get(v.strip().lower() if isinstance(v, str) else v)
    )
    if data[date_col].isna().any() or data["positive"].isna().any():
        raise ValueError("test records need readable dates and results 0/1 (negative/positive)")
    data = data.sort_values([client_col, date_col])
    converters = days = testers = prevalent = 0
    for _, history in data.groupby(client_col, sort=False):
        dates, results = history[date_col].tolist(), history["positive"].tolist()
        if results[0] == 1:
            prevalent += 1
            continue
        last_negative = dates[0]
        end = None
        for date, positive in zip(dates[1:], results[1:], strict=True):
            if positive:
                end = last_negative + (date - last_negative) / 2
                converters += 1
                break
            last_negative = date
        end = last_negative if end is None else end
        if len(dates) > 1:
            testers += 1
        days += (end - dates[0]).total_seconds() / 86400
    if days <= 0:
        raise ValueError("no repeat testers: nobody was tested again after a negative test")
    return RepeatTesters(converters, days / DAYS_PER_YEAR, testers, prevalent)
