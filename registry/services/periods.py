"""ISO periods (DHIS2 style) and areas: the one period grammar of studies, uploads and
the analytics (which adds relative periods, :mod:`registry.analytics.periods`).

Public interface::

    Period(start, end, iso, kind)                     # frozen; kind: year/semester/...
    iso_period(text: str, field) -> Period            # "2003", "2003S1", "2003Q2", "200305"
    period_of(kind, year, index) -> Period            # the index-th period of kind in year
    parse_period(text: str) -> tuple[date, date]      # iso_period's first and last day
    check_year(year: int, field: str) -> int          # 1900..2100, else ServiceError(field)
    FIRST_YEAR, LAST_YEAR = 1900, 2100
    find_area(code: str) -> OrgUnit                   # raises ServiceError(field="area_code")
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db
from registry.models import OrgUnit
from registry.services.errors import ServiceError

#: The years a period may name (the analytics periods use the same bounds). Anything
#: outside is a typing error, and year 0 cannot even be a ``datetime.date``.
FIRST_YEAR, LAST_YEAR = 1900, 2100

YEAR, SEMESTER, QUARTER, MONTH = "year", "semester", "quarter", "month"
_PATTERNS = (
    (re.compile(r"^(\d{4})$"), YEAR),
    (re.compile(r"^(\d{4})S([12])$"), SEMESTER),
    (re.compile(r"^(\d{4})Q([1-4])$"), QUARTER),
    (re.compile(r"^(\d{4})(0[1-9]|1[0-2])$"), MONTH),
)
#: Months in one period of each kind.
MONTHS = {YEAR: 12, SEMESTER: 6, QUARTER: 3, MONTH: 1}


@dataclass(frozen=True, order=True)
class Period:
    """A whole calendar period: first and last day, ISO name (DHIS2 style), kind."""

    start: date
    end: date
    iso: str
    kind: str


def period_of(kind: str, year: int, index: int) -> Period:
    """The ``index``-th (1-based) period of ``kind`` in ``year``."""
    months = MONTHS[kind]
    first = (index - 1) * months + 1
    last = first + months - 1
    end = date(year, last, calendar.monthrange(year, last)[1])
    iso = {
        YEAR: f"{year}",
        SEMESTER: f"{year}S{index}",
        QUARTER: f"{year}Q{index}",
        MONTH: f"{year}{index:02d}",
    }[kind]
    return Period(date(year, first, 1), end, iso, kind)


def match_period(text: str, field: str) -> Period | None:
    """The ISO period ``text`` names (its year checked), or None if it names none."""
    for pattern, kind in _PATTERNS:
        if match := pattern.match(text):
            year = check_year(int(match.group(1)), field)
            return period_of(kind, year, int(match.group(2)) if kind != YEAR else 1)
    return None


def iso_period(text: str, field: str = "period") -> Period:
    """The ISO period ``text`` names: a year, a half-year, a quarter or a month.

    >>> iso_period("2003S2").start
    datetime.date(2003, 7, 1)
    """
    found = match_period((text or "").strip(), field)
    if found is None:
        raise ServiceError(
            _l(
                "Give the period as a year (2003), a half-year (2003S1), a quarter (2003Q1) or "
                "a month (200301)."
            ),
            field,
        )
    return found


def parse_period(text: str, field: str = "period") -> tuple[date, date]:
    """First and last day of an ISO period (:func:`iso_period`).

    >>> parse_period("2003Q2")
    (datetime.date(2003, 4, 1), datetime.date(2003, 6, 30))
    """
    period = iso_period(text, field)
    return period.start, period.end


def check_year(year: int, field: str) -> int:
    """``year`` if it is within :data:`FIRST_YEAR`..:data:`LAST_YEAR`, else a
    :class:`ServiceError` on ``field`` that says so."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ServiceError(
            _l("The period's year must be from %(first)s to %(last)s.",
               first=FIRST_YEAR, last=LAST_YEAR),
            field,
        )  # fmt: skip
    return year


def find_area(code: str, field: str = "area_code") -> OrgUnit:
    """The org unit with public ``code``, or a :class:`ServiceError` on ``field``."""
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == (code or "").strip()))
    if unit is None:
        raise ServiceError(_l("There is no area with this code."), field)
    return unit
