"""Downloads for spreadsheets: XLSX workbooks with real number cells, and CSV text.

Public interface::

    XLSX_MIMETYPE, CSV_MIMETYPE, DECIMAL_FORMAT
    Sheet(title, header, rows)                 # one worksheet: a header line, then rows
    xlsx_bytes(sheets) -> bytes                # the workbook (openpyxl, write-only)
    csv_text(header, rows, *, bom=False) -> str
    bom_requested(args) -> bool                # the opt-in ``bom=1`` of a CSV download
    text_cell(value) -> value                  # a nested value as JSON text
    defuse_formula(value) -> value             # text a spreadsheet will not run as a formula

A CSV has no types: under a Russian locale LibreOffice and Excel expect a decimal comma
and read ``12.5`` as text. An XLSX cell carries its type, so a number stays a number
whatever the reader's locale: a whole number is written as an integer cell, any other
number as a number cell with :data:`DECIMAL_FORMAT`, which the spreadsheet shows with the
reader's own decimal separator. A missing or withheld value is an empty cell, the marker
the CSV uses (an empty field); text is always a text cell, so a value that starts with
``=`` is never run as a formula (OWASP "CSV injection").

``bom=1`` starts a CSV with the UTF-8 byte order mark, which Excel needs to read the text
as UTF-8 (Cyrillic names) rather than the Windows code page; it is opt-in because
programs that read CSV (pandas, R, DHIS2's importers) take the mark for part of the first
column name.

A CSV cell has no type either, so its text goes through :func:`defuse_formula`: text
that starts like a formula gets a leading apostrophe, which Excel and LibreOffice show as
text instead of evaluating it. Numbers are written as numbers and never touched. (The
DHIS2 grid CSV of :mod:`registry.analytics.dhis2_grid` is a machine format read by DHIS2
clients and keeps its text as it is.)
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from registry.services.errors import ServiceError

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
#: Decimals as numbers: at least one decimal, up to six more as the value has them.
DECIMAL_FORMAT = "0.0#####"
BOM = "\ufeff"
#: The values ``bom`` takes (``bom=1`` adds the mark, ``bom=0`` is the default).
BOM_VALUES = {"1": True, "true": True, "0": False, "false": False}
#: Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Characters a worksheet title cannot hold.
_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its title, a header line and the rows under it."""

    title: str
    header: Sequence[Any]
    rows: Iterable[Sequence[Any]]


def text_cell(value: Any) -> Any:
    """A nested value (dict or list) as JSON text, as the CSV writes it; others as they are."""
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False)
    return value


def defuse_formula(value: Any) -> Any:
    """``value``, with a leading apostrophe if it is text that starts like a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The workbook of ``sheets``, in order, as the bytes of an ``.xlsx`` file."""
    from openpyxl import Workbook  # imported here: only the XLSX downloads need it

    book = Workbook(write_only=True)
    for sheet in sheets:
        worksheet = book.create_sheet(str(sheet.title).translate(_TITLE_FORBIDDEN)[:31])
        worksheet.append([_cell(worksheet, str(name)) for name in sheet.header])
        for row in sheet.rows:
            worksheet.append([_cell(worksheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(worksheet: Any, value: Any) -> Any:
    """A typed cell: integer, decimal with :data:`DECIMAL_FORMAT`, text, or empty."""
    from openpyxl.cell import WriteOnlyCell

    value = text_cell(value)
    if value is None or (isinstance(value, float | Decimal) and not math.isfinite(value)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return WriteOnlyCell(worksheet, value=value)
    if isinstance(value, float | Decimal):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = DECIMAL_FORMAT
        return cell
    if isinstance(value, date):
        value = value.isoformat()
    cell = WriteOnlyCell(worksheet, value=str(value))
    cell.data_type = "s"  # openpyxl would make "=..." a formula
    return cell


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, bom: bool = False) -> str:
    """A header line, then the rows; ``None`` as an empty field; the byte order mark first
    if ``bom``."""
    out = io.StringIO()
    if bom:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ["" if value is None else defuse_formula(text_cell(value)) for value in row]
        )
    return out.getvalue()


def bom_requested(args: Mapping[str, Any]) -> bool:
    """Whether ``args`` ask for the byte order mark (``bom=1``); 422 naming ``bom`` on any
    value but 1, 0, true or false."""
    value = args.get("bom")
    if value is None:
        return False
    if str(value).lower() not in BOM_VALUES:
        raise ServiceError(_l("Give 1 or 0."), "bom")
    return BOM_VALUES[str(value).lower()]
