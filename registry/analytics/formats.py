"""Renderings of an analytics answer: metaData, CSV and ADX (IHE QRPH) XML.

Public interface::

    meta_data(request, units, threshold) -> dict     # DHIS2-like items and dimensions
    audit_detail(request, units) -> str              # codes only, at most 255 characters
    to_csv(response) -> str
    to_adx(response, *, data_set=ADX_DATA_SET) -> bytes   # NothingToPublish if empty
    ADX_NAMESPACE, ADX_DATA_SET, NothingToPublish

ADX: one ``group`` per org unit and period with the required attributes ``dataSet``,
``orgUnit`` and ``period`` (ISO 8601 ``start/duration``: ``2003-01-01/P1Y``), and one
``dataValue`` per row with a value: ``dataElement``, ``value`` and one attribute per
category of the data element's combo, named by the category code with the option's
DHIS2 code (``SEX="SEX_M" AGE="AGE_15-19"``, ``DRUG="DRUG_1"``). The data element is the
indicator at the row's level of disaggregation (``REG_CLIENTS_BY_SEX``, ...,
:mod:`registry.analytics.dhis2_metadata`), so every value of a data element carries
exactly its combo's categories, as DHIS2's import needs. Identifiers are codes, as in the
metadata package (``GET /api/v1/dhis2/metadata.json``). Withheld values are left out; an
answer with no value to publish has no valid ADX document (the schema wants a group),
so :func:`to_adx` raises :class:`NothingToPublish` instead (a 409), or a
:class:`ServiceError` on ``pe`` (a 422) when every row is a flow asked for part of a year.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from flask_babel import lazy_gettext as _l

from registry.analytics.dhis2_ids import CATEGORIES, categories_of
from registry.analytics.dhis2_metadata import DATA_SET_CODE, data_element_of
from registry.analytics.indicators import INDICATORS, TOTAL
from registry.services.errors import ServiceError

if TYPE_CHECKING:
    from registry.analytics.query import AnalyticsResponse
    from registry.analytics.request import AnalyticsRequest
    from registry.analytics.tables import Unit

ADX_NAMESPACE = "urn:ihe:qrph:adx:2015"
ADX_DATA_SET = DATA_SET_CODE


class NothingToPublish(ServiceError):  # noqa: N818 - reads as the HTTP outcome, like NotFound
    """An answer with no value to publish: every value withheld or not available."""


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
    """ADX XML of the rows that have a value (see the module docstring)."""
    names = [header["name"] for header in response.headers]
    items = response.meta_data["items"]
    exported = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = ElementTree.Element("adx", {"xmlns": ADX_NAMESPACE, "exported": exported})
    groups: dict[tuple[str, str], ElementTree.Element] = {}
    statuses: set[str] = set()
    for row in response.rows:
        cell = dict(zip(names, row, strict=True))
        if cell["value"] is None:
            statuses.add(cell.get("status", ""))
            continue
        key = (cell["ou"], cell["pe"])
        if key not in groups:
            period = items[cell["pe"]]
            groups[key] = ElementTree.SubElement(root, "group", {
                "dataSet": data_set, "orgUnit": cell["ou"],
                "period": _adx_period(period["startDate"], period["endDate"])})  # fmt: skip
        ElementTree.SubElement(groups[key], "dataValue", _data_value(cell))
    if not groups:
        if statuses == {"whole_years_only"}:
            raise ServiceError(_l("These indicators are counted by whole years only."), "pe")
        raise NothingToPublish(_l("Nothing to publish: every value asked for is withheld "
                                  "or not available, and ADX has no empty document."))  # fmt: skip
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _data_value(cell: dict[str, Any]) -> dict[str, str]:
    """``dataElement``, one attribute per category of its combo, and ``value``."""
    indicator = INDICATORS[cell["dx"]]
    chosen = {"sex": cell.get("sex", TOTAL), "age": cell.get("age", TOTAL)}
    if indicator.category is not None:
        chosen[indicator.category] = cell.get("co", TOTAL)
    split = tuple(
        category for category in categories_of(indicator)
        if chosen[_key(category.code)] != TOTAL
    )  # fmt: skip
    attributes = {"dataElement": data_element_of(indicator, split).code}
    for category in split:
        attributes[category.code] = category.option_code(chosen[_key(category.code)])
    attributes["value"] = str(cell["value"])
    return attributes


def _key(category_code: str) -> str:
    return next(key for key, category in CATEGORIES.items() if category.code == category_code)


def _adx_period(start: str, end: str) -> str:
    """``start/duration`` of a whole calendar period given its first and last day."""
    first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return f"{start}/P1Y" if months == 12 else f"{start}/P{months}M"
