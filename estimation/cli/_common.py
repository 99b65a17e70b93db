"""Helpers shared by the command-line modules: reading CSV and printing results.

Private to :mod:`estimation.cli` (the leading underscore: every other module there is a
command); it was ``estimation.reporting`` before, which held no library code.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["add_common_options", "clean", "emit", "read_columns", "read_rows", "read_table"]


def add_common_options(parser) -> None:
    """Add ``--json`` and ``--alpha`` to a subcommand parser."""
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--alpha", type=float, default=0.05, help="one minus the confidence level (default 0.05)"
    )


def read_table(path: str, columns: Iterable[str]) -> pd.DataFrame:
    """Read a CSV file and check that it has ``columns``.

    ``#`` starts a comment line; the separator (comma, semicolon, tab) is detected.
    """
    import pandas as pd

    file, separator = _sniff(path)
    try:
        frame = pd.read_csv(
            file, comment="#", skipinitialspace=True, sep=separator, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not a readable CSV file: {error}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{path} lacks column(s) {', '.join(missing)}; has {', '.join(frame.columns)}"
        )
    return frame


def _sniff(path: str) -> tuple[Path, str]:
    """The file and its separator (comma, semicolon or tab); a clear error if unusable."""
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"no such file: {path}")
    raw = file.read_bytes()
    if not raw.strip():
        raise ValueError(f"{path} is empty")
    # Spreadsheets in the region often export ";"-separated files with a byte-order mark.
    sample = raw[:4096].decode("utf-8-sig", errors="replace")
    lines = [line for line in sample.splitlines() if line.strip() and not line.startswith("#")]
    try:
        separator = csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t").delimiter
    except csv.Error:  # a single column: nothing to detect
        separator = ","
    return file, separator


def read_rows(path: str, columns: Iterable[str]) -> list[dict[str, object]]:
    """Read a CSV file as :func:`read_table` does, but as a list of rows without pandas.

    For commands whose library function takes rows as well as a data frame (pandas takes
    about a second to import). Numbers become ``int`` or ``float``, blank cells ``None``.
    """
    header, body = _read_cells(path, columns)
    return [{name: _cell(value) for name, value in zip(header, row, strict=True)} for row in body]


def read_columns(path: str, columns: Iterable[str]) -> dict[str, list[object]]:
    """Read a CSV file as :func:`read_table` does, but as lists of values by column.

    Each column is typed as a whole, as pandas does: ``int`` if every cell is a whole
    number, else ``float`` if every cell is a number, else the text of each cell;
    blank cells are ``None``.
    """
    header, body = _read_cells(path, columns)
    table = {}
    for index, name in enumerate(header):
        cells = [row[index].strip() for row in body]
        filled = [cell for cell in cells if cell]
        for kind in (int, float, str):
            try:
                values = {cell: kind(cell) for cell in filled}
            except ValueError:
                continue
            table[name] = [values[cell] if cell else None for cell in cells]
            break
    return table


def _read_cells(path: str, columns: Iterable[str]) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of text cells (padded to the header's length)."""
    file, separator = _sniff(path)
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            lines = (line for line in handle if line.strip() and not line.startswith("#"))
            reader = csv.reader(lines, delimiter=separator, skipinitialspace=True)
            header = [name.strip() for name in next(reader, [])]
            body = [row for row in reader if any(cell.strip() for cell in row)]
    except (UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"{path} is not a readable CSV file: {error}") from None
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValueError(f"{path} lacks column(s) {', '.join(missing)}; has {', '.join(header)}")
    for number, row in enumerate(body, start=2):
        if len(row) > len(header):
            raise ValueError(f"{path} line {number}: {len(row)} fields, {len(header)} columns")
    # trailing blank cells may be left out of a row
    return header, [row + [""] * (len(header) - len(row)) for row in body]


def _cell(text: str) -> object:
    text = text.strip()
    if not text:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def clean(value):
    """Convert numpy scalars, tuples and non-finite floats into plain JSON values.

    Non-finite numbers become None so that the JSON never carries NaN or Infinity; every
    such case is documented by the method that produced it.
    """
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def emit(args, payload: dict, text: str) -> int:
    """Print ``payload`` as JSON when ``--json`` was given, else ``text``; return 0."""
    if getattr(args, "json", False):
        print(json.dumps(clean(payload), indent=2, allow_nan=False))
    else:
        print(text)
    return 0
