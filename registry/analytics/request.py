"""Parsing of DHIS2-style analytics query parameters into an :class:`AnalyticsRequest`.

Public interface::

    AnalyticsRequest                                    # frozen dataclass, see below
    parse_request(args, *, today=None) -> AnalyticsRequest   # ServiceError(field=...) on bad input

``args`` is ``request.args`` (a MultiDict: ``dimension`` may repeat) or a plain mapping.
Both spellings work: ``dx=A;B&pe=2003&ou=KG`` and ``dimension=dx:A;B&dimension=pe:2003
&dimension=ou:KG``; disaggregation by ``dimension=sex`` / ``dimension=age`` (every
option) or ``dimension=SEX:M;F`` / ``dimension=AGE:15-19;20-24`` (those options).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from registry.analytics.indicators import AGE_OPTIONS, INDICATORS, SEX_OPTIONS
from registry.analytics.periods import Period, parse_period
from registry.services.errors import ServiceError
from registry.services.periods import check_year

#: Upper bounds that keep one answer a reasonable size.
MAX_INDICATORS, MAX_PERIODS, MAX_ORG_UNITS = 40, 60, 40
PARAMETERS = ("dx", "pe", "ou", "dimension", "relativePeriodDate")
_LEVEL = re.compile(r"^LEVEL-([1-9])$", re.IGNORECASE)
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


@dataclass(frozen=True)
class AnalyticsRequest:
    """What to compute: indicators x periods x org units, optionally split by sex and age.

    ``org_units`` are codes, ``levels`` DHIS2 ``LEVEL-n`` selections (units at that level
    under the codes, or everywhere when no code is given); ``sex`` / ``age`` are the
    options to split by (``None`` = not split: totals).
    """

    indicators: tuple[str, ...]
    periods: tuple[Period, ...]
    org_units: tuple[str, ...]
    levels: tuple[int, ...] = ()
    sex: tuple[str, ...] | None = None
    age: tuple[str, ...] | None = None


def _values(args: Mapping[str, Any], name: str) -> list[str]:
    getlist = getattr(args, "getlist", None)
    raw = getlist(name) if getlist is not None else args.get(name, [])
    if isinstance(raw, str):
        raw = [raw]
    return [str(value) for value in raw if str(value).strip()]


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _options(given: list[str], allowed: tuple[str, ...], field: str) -> tuple[str, ...]:
    if not given:
        return allowed
    unknown = [option for option in given if option not in allowed]
    if unknown:
        raise ServiceError(_l("Unknown option of a disaggregation: %(options)s.",
                              options=", ".join(allowed)), field)  # fmt: skip
    return tuple(dict.fromkeys(given))


def parse_request(args: Mapping[str, Any], *, today: date | None = None) -> AnalyticsRequest:
    """Read ``dx``, ``pe``, ``ou``, ``dimension`` and ``relativePeriodDate``.

    Any other parameter is refused: in particular there are no ``startDate``/``endDate``,
    so a query can only name whole periods.
    """
    for name in args:
        if name not in PARAMETERS:
            raise ServiceError(_l("Unknown parameter."), str(name)[:40])
    dimensions: dict[str, list[str]] = {"dx": [], "pe": [], "ou": []}
    for name in dimensions:
        for value in _values(args, name):
            dimensions[name] += _items(value)
    split: dict[str, tuple[str, ...]] = {}
    for value in _values(args, "dimension"):
        name, _, options = value.partition(":")
        name = name.strip()
        if name.lower() in ("dx", "pe", "ou"):
            dimensions[name.lower()] += _items(options)
        elif name.lower() == "sex":
            split["sex"] = _options(_items(options), SEX_OPTIONS, "dimension")
        elif name.lower() == "age":
            split["age"] = _options(_items(options), AGE_OPTIONS, "dimension")
        else:
            raise ServiceError(_l("Unknown dimension: use dx, pe, ou, sex or age."), "dimension")

    indicators = tuple(dict.fromkeys(code.upper() for code in dimensions["dx"]))
    if not indicators:
        raise ServiceError(_l("Name at least one indicator."), "dx")
    if len(indicators) > MAX_INDICATORS:
        raise ServiceError(_l("Too many indicators in one query."), "dx")
    unknown = [code[:40] for code in indicators if code not in INDICATORS]
    if unknown:
        raise ServiceError(_l("Unknown indicator code: %(codes)s (see docs/indicators.md).",
                              codes=", ".join(unknown[:5])), "dx")  # fmt: skip

    relative = _values(args, "relativePeriodDate")
    if relative:
        try:
            today = date.fromisoformat(relative[0])
        except ValueError:
            raise ServiceError(_l("Give the date as YYYY-MM-DD."), "relativePeriodDate") from None
        check_year(today.year, "relativePeriodDate")
    today = today or date.today()
    periods: list[Period] = []
    for item in dimensions["pe"]:
        periods += parse_period(item, today=today)
    periods = list(dict.fromkeys(periods))
    if not periods:
        raise ServiceError(_l("Name at least one period."), "pe")
    if len(periods) > MAX_PERIODS:
        raise ServiceError(_l("Too many periods in one query."), "pe")

    codes: list[str] = []
    levels: list[int] = []
    for item in dimensions["ou"]:
        if match := _LEVEL.match(item):
            levels.append(int(match.group(1)))
        elif _CODE.match(item):
            codes.append(item)
        else:
            raise ServiceError(_l("Give org units as codes or LEVEL-n."), "ou")
    if not codes and not levels:
        raise ServiceError(_l("Name at least one org unit."), "ou")
    if len(codes) > MAX_ORG_UNITS:
        raise ServiceError(_l("Too many org units in one query."), "ou")
    return AnalyticsRequest(
        indicators=indicators,
        periods=tuple(periods),
        org_units=tuple(dict.fromkeys(codes)),
        levels=tuple(dict.fromkeys(levels)),
        sex=split.get("sex"),
        age=split.get("age"),
    )
