"""A native analytics answer presented as DHIS2's grid: JSON, CSV and XML.

Public interface::

    dhis2_grid(query: Dhis2Query, response: AnalyticsResponse, geography) -> dict
    grid_csv(grid) -> str          # a line of column names, then the rows
    grid_xml(grid) -> bytes        # <grid><headers/><rows/></grid>

The shape follows dhis2-core's ``HeaderHandler``, ``ListGrid`` and ``MetadataHandler``:
``headers`` (``name``, ``column``, ``valueType``, ``type``, ``hidden``, ``meta``), one
per dimension in the order asked, then ``value`` (and ``numerator``, ``denominator``,
``factor``, ``multiplier``, ``divisor`` on ``includeNumDen``); ``rows`` of strings with
the value after the dimensions; ``metaData.items`` naming every item and
``metaData.dimensions`` listing them (``co`` always, empty unless asked); ``width``,
``height`` and ``headerWidth``. A value the native answer withholds or lacks (any
``status`` but ``ok``) is left out, as DHIS2 leaves out empty cells: the two faces
publish exactly the same values.
"""

from __future__ import annotations

import calendar
import csv
import io
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from registry.analytics.dhis2_ids import (
    CATEGORIES,
    ORG_UNIT_GROUPS,
    categories_of,
    combo_name,
    combo_uid,
    uid,
)
from registry.analytics.indicators import COUNT, FAMILIES, INDICATORS, TOTAL
from registry.analytics.periods import MONTH, QUARTER, SEMESTER, Period

if TYPE_CHECKING:
    from registry.analytics.dhis2_request import Dhis2Query
    from registry.analytics.query import AnalyticsResponse
    from registry.analytics.tables import Geography

TEXT = {"valueType": "TEXT", "type": "java.lang.String", "hidden": False, "meta": True}
NUMBER = {"valueType": "NUMBER", "type": "java.lang.Double", "hidden": False, "meta": False}
DIMENSION_NAMES = {"dx": "Data", "pe": "Period", "ou": "Organisation unit",
                   "co": "Category option combo"}  # fmt: skip
DIMENSION_TYPES = {"dx": "DATA_X", "pe": "PERIOD", "ou": "ORGANISATION_UNIT",
                   "co": "CATEGORY_OPTION_COMBO"}  # fmt: skip
NUM_DEN = (("numerator", "Numerator"), ("denominator", "Denominator"), ("factor", "Factor"),
           ("multiplier", "Multiplier"), ("divisor", "Divisor"))  # fmt: skip


def period_name(period: Period) -> str:
    """DHIS2's English period names: ``2003``, ``January 2003``, ``January - March 2003``."""
    first, last = calendar.month_name[period.start.month], calendar.month_name[period.end.month]
    if period.kind == MONTH:
        return f"{first} {period.start.year}"
    if period.kind in (QUARTER, SEMESTER):
        return f"{first} - {last} {period.start.year}"
    return period.iso


class _Ids:
    """Identifiers of items under the output id scheme (UID, CODE or NAME)."""

    def __init__(self, scheme: str, geography: Geography) -> None:
        self.scheme = scheme
        self.geography = geography

    def pick(self, the_uid: str, code: str, name: Any) -> str:
        return {"UID": the_uid, "CODE": code, "NAME": str(name)}[self.scheme]

    def dx(self, code: str) -> str:
        return self.pick(uid("dx", code), code, INDICATORS[code].name)

    def ou(self, code: str) -> str:
        return self.pick(uid("ou", code), code, self.geography.by_code[code].display_name)

    def option(self, key: str, option: str) -> str:
        category = CATEGORIES[key]
        return self.pick(category.option_uid(option), option, category.option_name(option))

    def dimension(self, key: str) -> str:
        if key in DIMENSION_NAMES:
            return key
        category = CATEGORIES[key]
        return category.code if self.scheme == "CODE" else category.uid


def _native_rows(response: AnalyticsResponse):
    """``(cells by column name, num_den)`` of each published native row."""
    names = [header["name"] for header in response.headers]
    for row, parts in zip(response.rows, response.num_den, strict=True):
        cells = dict(zip(names, row, strict=True))
        if cells["status"] == "ok" and cells["value"] is not None:
            yield cells, parts


def _options_of(code: str, cells: dict[str, Any]) -> dict[str, str]:
    """The category options of one native row (``T``: not split by that category)."""
    options = {"sex": cells.get("sex", TOTAL), "age": cells.get("age", TOTAL)}
    category = INDICATORS[code].category
    if category is not None:
        options[category] = cells.get("co", TOTAL)
    return options


def dhis2_grid(query: Dhis2Query, response: AnalyticsResponse,
               geography: Geography) -> dict[str, Any]:  # fmt: skip
    """The DHIS2 grid (``headers``, ``metaData``, ``rows``, sizes) of ``response``."""
    ids = _Ids(query.id_scheme, geography)
    rows, combos = _rows(query, list(_native_rows(response)), ids)
    headers = [{"name": ids.dimension(key), "column": _column(key), **TEXT}
               for key in query.columns]  # fmt: skip
    headers.append({"name": "value", "column": "Value", **NUMBER})
    if query.include_num_den:
        headers += [{"name": name, "column": column, **NUMBER} for name, column in NUM_DEN]
    grid: dict[str, Any] = {"headers": headers}
    if not query.skip_meta:
        grid["metaData"] = _meta_data(query, response, ids, combos)
    rows = [] if query.skip_data else rows
    grid.update({"rowContext": {}, "rows": rows, "height": len(rows),
                 "width": len(headers), "headerWidth": len(headers)})  # fmt: skip
    return grid


def _rows(query: Dhis2Query, natives: list, ids: _Ids) -> tuple[list[list[str]], dict]:
    """The grid's rows from the published native rows, and the combos they name."""
    with_co = "co" in query.columns
    kept = {key: set(opts) for key, opts in query.options.items()}
    published = {(c["dx"], c["pe"], c["ou"], c.get("sex", TOTAL), c.get("age", TOTAL)): c
                 for c, _parts in natives}  # fmt: skip
    rows: list[list[str]] = []
    combos: dict[str, str] = {}
    for cells, parts in natives:
        code = cells["dx"]
        if code not in query.asked_indicators:
            continue  # a total read for a breakdown (below)
        indicator = INDICATORS[code]
        options = _options_of(code, cells)
        own = {c.code for c in categories_of(indicator)}
        if any(CATEGORIES[k].code not in own or options[k] == TOTAL or options[k] not in kept[k]
               for k in kept):  # fmt: skip
            continue  # a category outside this data element's combo: no data, as in DHIS2
        breakdown = indicator.category
        if breakdown and not with_co and breakdown not in kept:
            if options[breakdown] != CATEGORIES[breakdown].options[0]:
                continue  # one row for the total, read from the family's first count
            key = (indicator_total(code), cells["pe"], cells["ou"], options["sex"], options["age"])
            if key not in published:
                continue
            cells, parts = {**cells, "value": published[key]["value"]}, None
        chosen = tuple(options[name] for name in _keys(indicator))
        combo = combo_uid(indicator, chosen)
        if with_co and query.combos and combo not in query.combos:
            continue
        if with_co:
            combos[combo] = combo_name(indicator, chosen)
        row = [_item(key, cells, options, combo, ids) for key in query.columns]
        row.append(_text(cells["value"]))
        if query.include_num_den:
            row += _num_den(parts)
        rows.append(row)
    return rows, combos


def _item(key: str, cells: dict[str, Any], options: dict[str, str], combo: str,
          ids: _Ids) -> str:  # fmt: skip
    """The identifier of one row's item of dimension ``key``."""
    if key == "dx":
        return ids.dx(cells["dx"])
    if key == "pe":
        return cells["pe"]
    if key == "ou":
        return ids.ou(cells["ou"])
    if key == "co":
        return combo
    return ids.option(key, options[key])


def indicator_total(code: str) -> str:
    """The count holding the total of breakdown ``code`` (its family's first table)."""
    return FAMILIES[INDICATORS[code].family].tables[0]


def _keys(indicator: Any) -> list[str]:
    """The category keys (``sex``, ``age``, ``drug`` ...) of ``indicator``'s combo."""
    return [next(k for k, c in CATEGORIES.items() if c is cat) for cat in categories_of(indicator)]


def _column(key: str) -> str:
    return DIMENSION_NAMES.get(key) or str(CATEGORIES[key].name)


def _text(value: Any) -> str:
    return str(value)


def _num_den(parts: tuple[Any, Any, float] | None) -> list[str]:
    if parts is None:
        return ["", "", "", "", ""]
    numerator, denominator, factor = parts
    factor_text = _text(int(factor) if float(factor).is_integer() else factor)
    return [_text(numerator), _text(denominator), factor_text, factor_text, "1"]


def _meta_data(query: Dhis2Query, response: AnalyticsResponse, ids: _Ids,
               combos: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """``items`` (every item, dimension and relative period by name) and ``dimensions``."""
    native = response.meta_data
    items: dict[str, dict[str, Any]] = {
        key: {"name": name, "dimensionType": DIMENSION_TYPES[key]}
        for key, name in DIMENSION_NAMES.items()
    }
    dx = [ids.dx(code) for code in query.asked_indicators]
    for code, key in zip(query.asked_indicators, dx, strict=True):
        indicator = INDICATORS[code]
        kind = "DATA_ELEMENT" if indicator.kind == COUNT else "INDICATOR"
        items[key] = {
            "uid": uid("dx", code),
            "code": code,
            "name": str(indicator.name),
            "dimensionItemType": kind,
            "valueType": "NUMBER",
            "totalAggregationType": "SUM" if kind == "DATA_ELEMENT" else "AVERAGE",
        }
    for period in query.native.periods:
        items[period.iso] = {"uid": period.iso, "code": period.iso, "name": period_name(period),
                             "dimensionItemType": "PERIOD", "startDate": period.start.isoformat(),
                             "endDate": period.end.isoformat()}  # fmt: skip
    for name in query.relative:
        items[name] = {"name": name.replace("_", " ").capitalize()}
    ou = []
    for code in native["dimensions"]["ou"]:
        unit = ids.geography.by_code[code]
        ou.append(ids.ou(code))
        items[ou[-1]] = {"uid": uid("ou", code), "code": code, "name": unit.display_name,
                         "dimensionItemType": "ORGANISATION_UNIT"}  # fmt: skip
    for group in query.groups:
        kind = next(k for k in ORG_UNIT_GROUPS if group in (k, uid("organisationUnitGroup", k)))
        items[group] = {"uid": uid("organisationUnitGroup", kind), "code": kind,
                        "name": str(ORG_UNIT_GROUPS[kind])}  # fmt: skip
    dimensions: dict[str, list[str]] = {"dx": dx, "pe": [p.iso for p in query.native.periods],
                                        "ou": ou, "co": sorted(combos)}  # fmt: skip
    for combo, name in combos.items():
        items[combo] = {"uid": combo, "name": name}
    for key, options in query.options.items():
        category = CATEGORIES[key]
        name = ids.dimension(key)
        items[name] = {"uid": category.uid, "code": category.code, "name": str(category.name),
                       "dimensionType": "CATEGORY"}  # fmt: skip
        dimensions[name] = [ids.option(key, option) for option in options]
        for option in options:
            items[ids.option(key, option)] = {"uid": category.option_uid(option), "code": option,
                                              "name": category.option_name(option)}  # fmt: skip
    return {"items": items, "dimensions": dimensions}


def grid_csv(grid: dict[str, Any]) -> str:
    """The grid as DHIS2's CSV: the columns' display names, then the rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([header["column"] for header in grid["headers"]])
    writer.writerows(grid["rows"])
    return out.getvalue()


def grid_xml(grid: dict[str, Any]) -> bytes:
    """The grid as DHIS2's XML: ``headers`` with attributes, ``rows`` of ``field``s."""
    root = ElementTree.Element("grid", {"width": str(grid["width"]),
                                        "height": str(grid["height"])})  # fmt: skip
    headers = ElementTree.SubElement(root, "headers")
    for header in grid["headers"]:
        ElementTree.SubElement(
            headers,
            "header",
            {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in header.items()},
        )
    rows = ElementTree.SubElement(root, "rows")
    for row in grid["rows"]:
        element = ElementTree.SubElement(rows, "row")
        for value in row:
            ElementTree.SubElement(element, "field").text = value
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
