"""Renderings of an analytics answer: metaData, CSV and ADX (IHE QRPH) XML.

Public interface::

    meta_data(request, units, threshold) -> dict     # DHIS2-like items and dimensions
    audit_detail(request, units) -> str              # codes only, at most 255 characters
    to_csv(response) -> str
    to_adx(response, *, data_set=ADX_DATA_SET) -> bytes
    ADX_NAMESPACE, ADX_DATA_SET

ADX: one ``group`` per org unit and period with the required attributes ``dataSet``,
``orgUnit`` and ``period`` (ISO 8601 ``start/duration``: ``2003-01-01/P1Y``), and one
``dataValue`` per row with ``dataElement`` (the indicator code), ``value`` and one
attribute per disaggregation (``sex="M"``, ``age="15-19"``, the category name such as
``drug="1"``); totals carry no attribute. Identifiers are codes, as DHIS2's ADX import
expects (data elements, org units, category option codes); withheld values are left out.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from flask_babel import lazy_gettext as _l

from registry.analytics.indicators import INDICATORS, TOTAL

if TYPE_CHECKING:
    from registry.analytics.query import AnalyticsResponse
    from registry.analytics.request import AnalyticsRequest
    from registry.analytics.tables import Unit

ADX_NAMESPACE = "urn:ihe:qrph:adx:2015"
ADX_DATA_SET = "NARCO_INDICATORS"


def meta_data(request: AnalyticsRequest, units: list[Unit], threshold: int) -> dict[str, Any]:
    """Names of every item and the dimension members, as DHIS2 gives them."""
    items: dict[str, dict[str, str]] = {}
    for code in request.indicators:
        items[code] = {"name": str(INDICATORS[code].name), "code": code}
    for period in request.periods:
        items[period.iso] = {"name": period.iso, "startDate": period.start.isoformat(),
                             "endDate": period.end.isoformat()}  # fmt: skip
    for unit in units:
        items[unit.code] = {"name": unit.display_name, "code": unit.code, "level": str(unit.level)}
    dimensions: dict[str, list[str]] = {
        "dx": list(request.indicators),
        "pe": [period.iso for period in request.periods],
        "ou": [unit.code for unit in units],
    }
    if request.sex:
        dimensions["sex"] = list(request.sex)
    if request.age:
        dimensions["age"] = list(request.age)
    return {
        "items": items,
        "dimensions": dimensions,
        "suppression": {
            "threshold": threshold,
            "rule": str(
                _l(
                    "counts 1-%(last)s withheld, with complementary cells; rates and "
                    "percentages withheld with their counts",
                    last=threshold - 1,
                )
            ),
        },
    }


def audit_detail(request: AnalyticsRequest, units: list[Unit]) -> str:
    """A short note of what was asked (codes only) for the audit trail."""
    parts = [
        "dx=" + ",".join(request.indicators),
        "pe=" + ",".join(period.iso for period in request.periods),
        "ou=" + ",".join(unit.code for unit in units),
    ]
    if request.sex:
        parts.append("sex")
    if request.age:
        parts.append("age")
    return ";".join(parts)[:255]


def to_csv(response: AnalyticsResponse) -> str:
    """The rows as CSV under a line of column names; withheld values empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([header["name"] for header in response.headers])
    for row in response.rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return out.getvalue()


def to_adx(response: AnalyticsResponse, *, data_set: str = ADX_DATA_SET) -> bytes:
    """ADX XML of the rows that have a value."""
    names = [header["name"] for header in response.headers]
    items = response.meta_data["items"]
    exported = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = ElementTree.Element("adx", {"xmlns": ADX_NAMESPACE, "exported": exported})
    groups: dict[tuple[str, str], ElementTree.Element] = {}
    for row in response.rows:
        cell = dict(zip(names, row, strict=True))
        if cell["value"] is None:
            continue
        key = (cell["ou"], cell["pe"])
        if key not in groups:
            period = items[cell["pe"]]
            groups[key] = ElementTree.SubElement(root, "group", {
                "dataSet": data_set, "orgUnit": cell["ou"],
                "period": _adx_period(period["startDate"], period["endDate"])})  # fmt: skip
        attributes = {"dataElement": cell["dx"]}
        for name in ("sex", "age"):
            if cell.get(name, TOTAL) != TOTAL:
                attributes[name] = cell[name]
        category = INDICATORS[cell["dx"]].category
        if category and cell.get("co", TOTAL) != TOTAL:
            attributes[category] = cell["co"]
        attributes["value"] = str(cell["value"])
        ElementTree.SubElement(groups[key], "dataValue", attributes)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _adx_period(start: str, end: str) -> str:
    """``start/duration`` of a whole calendar period given its first and last day."""
    first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return f"{start}/P1Y" if months == 12 else f"{start}/P{months}M"
