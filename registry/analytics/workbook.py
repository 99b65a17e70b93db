"""An analytics answer as an XLSX workbook: the rows with number cells, and a legend.

Public interface::

    answer_workbook(response: AnalyticsResponse) -> bytes   # /api/v1/analytics.xlsx
    grid_workbook(grid: dict) -> bytes                      # /api/analytics.xlsx (DHIS2)
    COLUMN_LABELS, STATUS_LABELS

The first sheet holds the same cells as the JSON and CSV answers, in the same order: codes
as text, counts as integer cells, rates, percentages and ratios as number cells (so they
stay numbers in a Russian locale, where a CSV's ``12.5`` arrives as text), and a withheld
value as an empty cell, as in the CSV. Only the header line is in the reader's language
(``Accept-Language`` for a token, the page language for a session). The second sheet,
the legend, names every code of the answer (indicators, periods, org units, category
of sex, the total ``T``, statuses) in that language, from the answer's ``metaData``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.analytics.dhis2_ids import CATEGORIES
from registry.analytics.indicators import TOTAL
from registry.spreadsheets import Sheet, xlsx_bytes

if TYPE_CHECKING:
    from registry.analytics.query import AnalyticsResponse

#: Header of each column, by the column's name in the JSON answer (native and DHIS2).
COLUMN_LABELS = {
    "dx": _l("Indicator"),
    "pe": _l("Period"),
    "ou": _l("Org unit"),
    "sex": _l("Sex"),
    "age": _l("Age group"),
    "co": _l("Category option"),
    "value": _l("Value"),
    "status": _l("Status"),
    "numerator": _l("Numerator"),
    "denominator": _l("Denominator"),
    "factor": _l("Factor"),
    "multiplier": _l("Factor multiplier"),
    "divisor": _l("Factor divisor"),
}
#: What each ``status`` of a native row means (the legend's names of the codes).
STATUS_LABELS = {
    "ok": _l("Published"),
    "suppressed": _l("Withheld: a small count, or a cell that would reveal one"),
    "no_estimate": _l("No approved estimate for the area and period"),
    "no_denominator": _l("The denominator is zero"),
    "whole_years_only": _l("Given for whole years only"),
}


def answer_workbook(response: AnalyticsResponse) -> bytes:
    """The native answer: its rows under translated headers, and the legend."""
    names = [header["name"] for header in response.headers]
    data = Sheet(_("Data"), [COLUMN_LABELS.get(name, name) for name in names], response.rows)
    statuses = dict.fromkeys(row[-1] for row in response.rows)
    legend = _legend_rows(response.meta_data.get("items", {}))
    if "sex" in names:
        legend += [(sex, CATEGORIES["sex"].option_name(sex)) for sex in CATEGORIES["sex"].options]
    if any(TOTAL in row[3:-2] for row in response.rows):
        legend.append((TOTAL, _("Total")))
    legend += [(status, str(STATUS_LABELS.get(status, status))) for status in statuses]
    return xlsx_bytes([data, Sheet(_("Legend"), [_("Code"), _("Name")], legend)])


def grid_workbook(grid: dict[str, Any]) -> bytes:
    """DHIS2's grid: its rows with the NUMBER columns as numbers, and the legend."""
    headers = grid["headers"]
    numeric = [header.get("valueType") == "NUMBER" for header in headers]
    rows = ([_number(cell) if is_number else cell for cell, is_number in zip(row, numeric,
             strict=True)] for row in grid["rows"])  # fmt: skip
    labels = [COLUMN_LABELS.get(h["name"], h.get("column") or h["name"]) for h in headers]
    sheets = [Sheet(_("Data"), labels, rows)]
    if "metaData" in grid:
        legend = _legend_rows(grid["metaData"].get("items", {}))
        sheets.append(Sheet(_("Legend"), [_("Code"), _("Name")], legend))
    return xlsx_bytes(sheets)


def _legend_rows(items: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    return [(code, str(item.get("name", ""))) for code, item in items.items()]


def _number(text: str | None) -> int | float | None:
    """A grid's number text as a number (``""``: no value)."""
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)
