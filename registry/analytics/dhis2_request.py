"""DHIS2's analytics query parameters, read into a native :class:`AnalyticsRequest`.

Public interface::

    Dhis2Query                                   # frozen dataclass, see below
    parse_dhis2(args, *, geography, today=None) -> Dhis2Query   # ServiceError(field=...)
    PARAMETERS                                   # the query parameters understood

What DHIS2 clients send (``GET /api/analytics``)::

    dimension=dx:A;B,pe:2003;LAST_6_MONTHS,ou:KG    the comma form, or repeated dimension=
    dimension=co | dimension=co:<combo UIDs>          category option combos
    dimension=SEX:M;F | dimension=<category UID>:<option UIDs>
    filter=pe:2003 | filter=SEX:F                    one item each (a projection, never a sum)
    ou: codes or UIDs, LEVEL-n, LEVEL-n-<ou>, OU_GROUP-<group>, USER_ORGUNIT(_CHILDREN,
        _GRANDCHILDREN)
    displayProperty=NAME|SHORTNAME  skipMeta  skipData  paging  ignoreLimit  includeNumDen
    outputIdScheme=UID|CODE|NAME  relativePeriodDate=YYYY-MM-DD

Items may be UIDs (:mod:`registry.analytics.dhis2_ids`) or codes. A filter takes exactly
one item: DHIS2 would add up several, and a sum of published cells is not a cell of the
canonical tables, so it could not be protected the same way. Analytics users belong to no
org unit: ``USER_ORGUNIT`` is the top of the hierarchy. Everything is then answered by the
native query (:func:`registry.analytics.run_query`): same cells, same suppression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.analytics.dhis2_ids import CATEGORIES, ORG_UNIT_GROUPS, Category, uid
from registry.analytics.indicators import FAMILIES, INDICATORS
from registry.analytics.periods import RELATIVE_PERIODS
from registry.analytics.request import AnalyticsRequest, parse_request
from registry.analytics.tables import Geography
from registry.extensions import db
from registry.models import TreatmentCentre
from registry.services.errors import ServiceError

PARAMETERS = ("dimension", "filter", "displayProperty", "skipMeta", "skipData", "paging",
              "ignoreLimit", "outputIdScheme", "includeNumDen", "relativePeriodDate")  # fmt: skip
ID_SCHEMES = ("UID", "CODE", "NAME")
_BOOLEANS = {"true": True, "false": False}
_USER_LEVELS = {"USER_ORGUNIT": 1, "USER_ORGUNIT_CHILDREN": 2, "USER_ORGUNIT_GRANDCHILDREN": 3}


@dataclass(frozen=True)
class Dhis2Query:
    """A DHIS2 query: the native request to compute and how to present the answer.

    ``columns`` are the dimensions shown, in the client's order (``dx``, ``pe``, ``ou``,
    ``co`` or a category key such as ``sex``); ``combos`` the category option combos
    ``co`` is restricted to (none: all); ``filters`` the one item of each filter
    dimension; ``options`` the options kept per category dimension or filter;
    ``dimension_ids`` the identifier each category dimension was asked by; ``relative``
    the relative periods asked for and the periods each stands for; ``totals`` the count
    read for a breakdown's total when ``co`` is not asked.
    """

    native: AnalyticsRequest
    columns: tuple[str, ...]
    filters: dict[str, str] = field(default_factory=dict)
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dimension_ids: dict[str, str] = field(default_factory=dict)
    relative: dict[str, list[str]] = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    combos: tuple[str, ...] = ()
    asked_indicators: tuple[str, ...] = ()
    skip_meta: bool = False
    skip_data: bool = False
    include_num_den: bool = False
    id_scheme: str = "UID"


def _values(args: Mapping[str, Any], name: str) -> list[str]:
    getlist = getattr(args, "getlist", None)
    raw = getlist(name) if getlist is not None else args.get(name, [])
    return [str(value) for value in ([raw] if isinstance(raw, str) else raw)]


def _boolean(args: Mapping[str, Any], name: str) -> bool:
    values = _values(args, name)
    if not values:
        return False
    if values[-1].strip().lower() not in _BOOLEANS:
        raise ServiceError(_l("Give true or false."), name)
    return _BOOLEANS[values[-1].strip().lower()]


def _split(args: Mapping[str, Any], name: str) -> list[tuple[str, list[str]]]:
    """``[(dimension, [items])]`` of every ``name`` parameter, comma form included."""
    found = []
    for value in _values(args, name):
        for part in value.split(","):
            if not part.strip():
                continue
            dimension, _, items = part.strip().partition(":")
            found.append((dimension.strip(), [i.strip() for i in items.split(";") if i.strip()]))
    return found


def _category(name: str) -> Category | None:
    for key, category in CATEGORIES.items():
        if name.lower() == key or name.upper() == category.code or name == category.uid:
            return category
    return None


def _key(category: Category) -> str:
    return next(key for key, c in CATEGORIES.items() if c is category)


def _options(category: Category, items: list[str], param: str) -> tuple[str, ...]:
    by_id = {option: option for option in category.options}
    by_id.update({category.option_uid(option): option for option in category.options})
    unknown = [item for item in items if item not in by_id]
    if unknown:
        raise ServiceError(_l("Unknown option of a disaggregation: %(options)s.",
                              options=", ".join(category.options)), param)  # fmt: skip
    return tuple(dict.fromkeys(by_id[item] for item in items)) or category.options


def _indicator_codes(items: list[str], param: str) -> list[str]:
    by_id = {uid("dx", code): code for code in INDICATORS}
    codes = [by_id.get(item, item.upper()) for item in items]
    unknown = [code[:40] for code in codes if code not in INDICATORS]
    if unknown:
        raise ServiceError(_l("Unknown indicator code: %(codes)s (see docs/indicators.md).",
                              codes=", ".join(unknown[:5])), param)  # fmt: skip
    return codes


def _group_units(group: str, geography: Geography, param: str) -> list[str]:
    kinds = {uid("organisationUnitGroup", kind): kind for kind in ORG_UNIT_GROUPS}
    kind = kinds.get(group, group if group in ORG_UNIT_GROUPS else None)
    if kind is None:
        raise ServiceError(_l("There is no org unit group with this identifier."), param)
    ids = db.session.scalars(select(TreatmentCentre.org_unit_id).where(
        TreatmentCentre.kind == kind))  # fmt: skip
    return sorted({geography.units[i].code for i in ids if i in geography.units})


def _org_units(items: list[str], geography: Geography, param: str) -> tuple[list[str], list[str]]:
    """Native ``ou`` items (codes and LEVEL-n) and the groups asked for."""
    by_uid = {uid("ou", code): code for code in geography.by_code}
    roots = [u.code for u in geography.units.values() if u.level == 1]
    native: list[str] = []
    groups: list[str] = []
    group_units: list[str] = []
    for item in items:
        upper = item.upper()
        if upper in _USER_LEVELS:
            level = _USER_LEVELS[upper]
            native += roots if level == 1 else [f"LEVEL-{level}"]
        elif upper.startswith("OU_GROUP-"):
            groups.append(item[len("OU_GROUP-") :])
            group_units += _group_units(groups[-1], geography, param)
        elif upper.startswith("LEVEL-") and upper.count("-") >= 2:
            level, _, boundary = item[len("LEVEL-") :].partition("-")
            native += [f"LEVEL-{level}", by_uid.get(boundary, boundary)]
        else:
            native.append(by_uid.get(item, item))
    if groups:
        boundaries = [geography.by_code[c] for c in native if c in geography.by_code]
        if len(boundaries) != len(native):
            raise ServiceError(_l("Combine an org unit group with org units only."), param)
        native = [code for code in dict.fromkeys(group_units) if not boundaries or any(
            geography.by_code[code].path.startswith(b.path) for b in boundaries)]  # fmt: skip
        if not native:
            raise ServiceError(_l("No org unit of this group is under the org units given."),
                               param)  # fmt: skip
    return native, groups


def parse_dhis2(args: Mapping[str, Any], *, geography: Geography,
                today: date | None = None) -> Dhis2Query:  # fmt: skip
    """Read a DHIS2 analytics query; any parameter not in :data:`PARAMETERS` is refused."""
    for name in args:
        if name not in PARAMETERS:
            raise ServiceError(_l("Unknown parameter."), str(name)[:40])
    scheme = (_values(args, "outputIdScheme") or ["UID"])[-1].upper()
    if scheme not in ID_SCHEMES:
        raise ServiceError(_l("Give UID, CODE or NAME."), "outputIdScheme")
    display = (_values(args, "displayProperty") or ["NAME"])[-1].upper()
    if display not in ("NAME", "SHORTNAME"):
        raise ServiceError(_l("Give NAME or SHORTNAME."), "displayProperty")
    flags = {name: _boolean(args, name) for name in
             ("skipMeta", "skipData", "paging", "ignoreLimit", "includeNumDen")}  # fmt: skip

    native: dict[str, list[str]] = {"dx": [], "pe": [], "ou": [], "dimension": []}
    columns: list[str] = []
    filters: dict[str, str] = {}
    options: dict[str, tuple[str, ...]] = {}
    dimension_ids: dict[str, str] = {}
    groups: list[str] = []
    combos: list[str] = []
    for param in ("dimension", "filter"):
        for name, items in _split(args, param):
            key = name.lower()
            category = _category(name)
            if key not in ("dx", "pe", "ou", "co") and category is None:
                raise ServiceError(_l("Unknown dimension: use dx, pe, ou, co or a category."),
                                   param)  # fmt: skip
            if key in columns or key in filters or (category and _key(category) in options):
                raise ServiceError(_l("Give each dimension once."), param)
            if param == "filter" and (key == "co" or len(items) != 1
                                      or items[0].upper() in RELATIVE_PERIODS):  # fmt: skip
                raise ServiceError(_l("A filter takes exactly one item here."), param)
            if category is not None:
                key = _key(category)
                dimension_ids[key] = name
                options[key] = _options(category, items, param)
            elif key == "dx":
                native["dx"] += _indicator_codes(items, param)
            elif key == "ou":
                units, asked_groups = _org_units(items, geography, param)
                if param == "filter" and (len(units) != 1 or units[0].upper().startswith("LEVEL")):
                    raise ServiceError(_l("A filter takes exactly one item here."), param)
                native["ou"] += units
                groups += asked_groups
            elif key == "pe":
                native["pe"] += items
            elif key == "co":
                combos += items
            if param == "filter":
                filters[key] = items[0]
            else:
                columns.append(key)

    asked = tuple(dict.fromkeys(native["dx"]))
    with_co = "co" in columns
    dx = list(asked)
    if not with_co:  # a breakdown answers with its total, as DHIS2 adds up the combos
        dx += [FAMILIES[INDICATORS[c].family].tables[0] for c in asked if INDICATORS[c].category]
    splits = {key: opts for key, opts in options.items() if key in ("sex", "age")}
    if with_co:
        splits.setdefault("sex", CATEGORIES["sex"].options)
        if any("age" in INDICATORS[c].disaggregations and not INDICATORS[c].category
               for c in asked):  # fmt: skip
            splits.setdefault("age", CATEGORIES["age"].options)
    native_args: dict[str, Any] = {"dx": ";".join(dict.fromkeys(dx)), "pe": ";".join(native["pe"]),
                                   "ou": ";".join(native["ou"]),
                                   "dimension": [f"{k.upper()}:{';'.join(v)}"
                                                 for k, v in splits.items()]}  # fmt: skip
    relative_date = _values(args, "relativePeriodDate")
    if relative_date:
        native_args["relativePeriodDate"] = relative_date[-1]
    request = _native(native_args, today)
    relative = {}
    for item in native["pe"]:
        if item.upper() in RELATIVE_PERIODS:
            relative[item.upper()] = [p.iso for p in _native(
                {**native_args, "pe": item}, today).periods]  # fmt: skip
    return Dhis2Query(
        native=request, columns=tuple(columns), filters=filters, options=options,
        dimension_ids=dimension_ids, relative=relative, groups=tuple(groups), combos=tuple(combos),
        asked_indicators=asked, skip_meta=flags["skipMeta"], skip_data=flags["skipData"],
        include_num_den=flags["includeNumDen"], id_scheme=scheme,
    )  # fmt: skip


def _native(native_args: dict[str, Any], today: date | None) -> AnalyticsRequest:
    """The native request; its errors name the DHIS2 parameter (``dimension``)."""
    try:
        return parse_request(native_args, today=today)
    except ServiceError as error:
        if error.field in ("dx", "pe", "ou"):
            raise ServiceError(error.message, "dimension") from None
        raise
