"""ISO periods (DHIS2 style) and areas, as studies and uploads name them.

Public interface::

    parse_period(text: str) -> tuple[date, date]      # "2003", "2003Q2", "200305"
    check_year(year: int, field: str) -> int          # 1900..2100, else ServiceError(field)
    FIRST_YEAR, LAST_YEAR = 1900, 2100
    find_area(code: str) -> OrgUnit                   # raises ServiceError(field="area_code")
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db
from registry.models import OrgUnit
from registry.services.errors import ServiceError

#: The years a period may name (the analytics periods use the same bounds). Anything
#: outside is a typing error, and year 0 cannot even be a ``datetime.date``.
FIRST_YEAR, LAST_YEAR = 1900, 2100

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")


def parse_period(text: str, field: str = "period") -> tuple[date, date]:
    """First and last day of an ISO period: a year, a quarter or a month.

    >>> parse_period("2003Q2")
    (datetime.date(2003, 4, 1), datetime.date(2003, 6, 30))
    """
    text = (text or "").strip()
    if match := _YEAR.match(text):
        year = check_year(int(match.group(1)), field)
        return date(year, 1, 1), date(year, 12, 31)
    if match := _QUARTER.match(text):
        year, quarter = check_year(int(match.group(1)), field), int(match.group(2))
        first = 3 * quarter - 2
        return date(year, first, 1), date(year, first + 2, _last_day(year, first + 2))
    if match := _MONTH.match(text):
        year, month = check_year(int(match.group(1)), field), int(match.group(2))
        return date(year, month, 1), date(year, month, _last_day(year, month))
    raise ServiceError(
        _l("Give the period as a year (2003), a quarter (2003Q1) or a month (200301)."), field
    )


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


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def find_area(code: str, field: str = "area_code") -> OrgUnit:
    """The org unit with public ``code``, or a :class:`ServiceError` on ``field``."""
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == (code or "").strip()))
    if unit is None:
        raise ServiceError(_l("There is no area with this code."), field)
    return unit
