"""ISO periods and DHIS2 relative periods for the analytics ``pe`` dimension.

Public interface::

    Period(start, end, iso, kind)                 # registry.services.periods.Period
    parse_period(text, *, today) -> list[Period]  # "2003", "2003S1", "2003Q2", "200305",
                                                  # or a relative period ("LAST_5_YEARS")
    RELATIVE_PERIODS                              # the relative period names understood

The ISO grammar is the one studies and uploads use (:mod:`registry.services.periods`);
this module adds DHIS2's relative periods.

A query names whole calendar periods only, never an arbitrary date range: that keeps the
cells of every answer inside the same canonical tables (see
:mod:`registry.analytics.suppression`). Relative periods follow DHIS2: ``LAST_5_YEARS``
is the five years *before* the current one, ``LAST_12_MONTHS`` the twelve months before
the current month, ``MONTHS_THIS_YEAR`` every month of the current year (the months to
come too, as DHIS2 does), ``QUARTERS_LAST_YEAR`` the four quarters of the year before,
and "current" is the day given as ``relativePeriodDate`` (default today).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask_babel import lazy_gettext as _l

from registry.services.errors import ServiceError
from registry.services.periods import (
    MONTH,
    MONTHS,
    QUARTER,
    SEMESTER,
    YEAR,
    Period,
    match_period,
    period_of,
)

__all__ = ["MONTH", "QUARTER", "RELATIVE_PERIODS", "SEMESTER", "YEAR", "Period", "parse_period"]


def _shift(kind: str, year: int, index: int, steps: int) -> tuple[int, int]:
    """Move ``steps`` periods of ``kind`` from (year, index); negative goes back."""
    per_year = 12 // MONTHS[kind]
    position = year * per_year + (index - 1) + steps
    return position // per_year, position % per_year + 1


def _current(kind: str, today: date) -> tuple[int, int]:
    return today.year, (today.month - 1) // MONTHS[kind] + 1


def _relative(kind: str, count: int, *, include_current: bool) -> Callable[[date], list[Period]]:
    """``count`` periods of ``kind`` ending with the current one or the one before it."""

    def periods(today: date) -> list[Period]:
        year, index = _current(kind, today)
        last = 0 if include_current else -1
        return [period_of(kind, *_shift(kind, year, index, step)) for step in
                range(last - count + 1, last + 1)]  # fmt: skip

    return periods


def _whole_year(kind: str, years_back: int) -> Callable[[date], list[Period]]:
    """Every period of ``kind`` in the current year (0) or the one before it (1)."""

    def periods(today: date) -> list[Period]:
        year = today.year - years_back
        return [period_of(kind, year, index) for index in range(1, 12 // MONTHS[kind] + 1)]

    return periods


RELATIVE_PERIODS: dict[str, Callable[[date], list[Period]]] = {
    "THIS_YEAR": _relative(YEAR, 1, include_current=True),
    "LAST_YEAR": _relative(YEAR, 1, include_current=False),
    "LAST_5_YEARS": _relative(YEAR, 5, include_current=False),
    "LAST_10_YEARS": _relative(YEAR, 10, include_current=False),
    "THIS_SIX_MONTH": _relative(SEMESTER, 1, include_current=True),
    "LAST_SIX_MONTH": _relative(SEMESTER, 1, include_current=False),
    "LAST_2_SIXMONTHS": _relative(SEMESTER, 2, include_current=False),
    "THIS_QUARTER": _relative(QUARTER, 1, include_current=True),
    "LAST_QUARTER": _relative(QUARTER, 1, include_current=False),
    "LAST_4_QUARTERS": _relative(QUARTER, 4, include_current=False),
    "THIS_MONTH": _relative(MONTH, 1, include_current=True),
    "LAST_MONTH": _relative(MONTH, 1, include_current=False),
    "LAST_3_MONTHS": _relative(MONTH, 3, include_current=False),
    "LAST_6_MONTHS": _relative(MONTH, 6, include_current=False),
    "LAST_12_MONTHS": _relative(MONTH, 12, include_current=False),
    "MONTHS_THIS_YEAR": _whole_year(MONTH, 0),
    "MONTHS_LAST_YEAR": _whole_year(MONTH, 1),
    "QUARTERS_THIS_YEAR": _whole_year(QUARTER, 0),
    "QUARTERS_LAST_YEAR": _whole_year(QUARTER, 1),
}


def parse_period(text: str, *, today: date, field: str = "pe") -> list[Period]:
    """The periods one ``pe`` item names (one for an ISO period, several for a relative one).

    >>> parse_period("2004S2", today=date(2026, 1, 1))[0].start
    datetime.date(2004, 7, 1)
    >>> [p.iso for p in parse_period("LAST_4_QUARTERS", today=date(2004, 5, 1))]
    ['2003Q2', '2003Q3', '2003Q4', '2004Q1']
    """
    text = (text or "").strip()
    if text.upper() in RELATIVE_PERIODS and 1901 <= today.year <= 2100:
        return RELATIVE_PERIODS[text.upper()](today)
    if (found := match_period(text, field)) is not None:
        return [found]
    raise ServiceError(
        _l(
            "Give periods as ISO periods (2003, 2003S1, 2003Q1, 200301) or relative periods "
            "(THIS_YEAR, LAST_YEAR, LAST_5_YEARS, LAST_4_QUARTERS, LAST_12_MONTHS ...)."
        ),
        field,
    )
