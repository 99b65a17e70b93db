"""Uploads of other agencies' lists (police, NGO outreach ...) as client codes.

Public interface::

    upload_code_list(file, *, source_name: str, period: str, area_code: str,
                     actor: User) -> SourceList
    upload_identifier_list(file, *, source_name: str, period: str, area_code: str,
                           actor: User, key: str) -> SourceList
    REJECTION_REASONS: dict[str, LazyString]     # reason code -> message (translated)
    reason_code(stored: str) -> str              # the code (also of older English reasons)
    reason_message(stored: str) -> str           # the English message (for the API)
    CODE_COLUMNS = ("code",)
    ALIASES = {"client_code": "code", "date": "contact_date"}
    IDENTIFIER_COLUMNS = ("family_name", "given_name", "birth_date", "sex")

``file`` is a binary or text stream of a CSV file with a header row (UTF-8, comma or
semicolon separated; extra columns are ignored). ``period`` is an ISO period ("2003",
"2003Q1", "200301"); ``area_code`` an org-unit code ("KG", "KG-GB"). ``key`` is the
``LINKAGE_KEY`` (``current_app.config["LINKAGE_KEY"]``).

Each row becomes a code; a code seen on several rows is kept once with its number of
``occurrences`` (what single-list count estimators need). Rows that cannot be used are
counted in ``SourceList.rejected_rows`` as ``{"row": n, "field": ..., "reason": code}``
with a stable code of :data:`REJECTION_REASONS` (row 1 is the header; no submitted value
is ever kept); the API gives the code with its English message, pages translate it. A
file with missing columns, no usable row, or a line the CSV reader cannot read (a
carriage return without a line feed, a value over its 131,072-character field limit)
raises :class:`~registry.services.errors.ServiceError` on field ``file`` (naming the
line) and nothing is added to the session. Identifiers exist only in memory while the file is
read: they are never stored or logged. Identifier uploads also add
:class:`~registry.models.DuplicateCandidate` rows (see :mod:`registry.services.linkage`).
The caller commits; every upload is audited (``create source_list``).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db
from registry.models import OrgUnit, SourceList, SourceListCode, User
from registry.services import audit
from registry.services.client_codes import (
    ClientIdentifiers,
    code_from_slk,
    normalise_name,
    slk581,
)
from registry.services.errors import ServiceError
from registry.services.periods import find_area, parse_period

CODE_COLUMNS = ("code",)
#: Other names accepted for a column (the simulator's lists use ``client_code``).
ALIASES = {"client_code": "code", "date": "contact_date"}
IDENTIFIER_COLUMNS = ("family_name", "given_name", "birth_date", "sex")
SEXES = {"M": "M", "F": "F", "М": "M", "Ж": "F", "1": "M", "2": "F"}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
_CODE = re.compile(r"^[0-9a-f]{64}$")
#: A carriage return not followed by a line feed: the CSV reader cannot place it.
_BARE_CR = re.compile(r"\r(?!\n)")
#: Reasons kept for rejected rows (at most this many rows are listed; all are counted).
MAX_LISTED_REJECTIONS = 1000

#: Why a row was rejected: the stable code stored with the row, and its message.
REJECTION_REASONS = {
    "code_format": _l("not a client code (64 hexadecimal digits)"),
    "missing": _l("missing"),
    "date_format": _l("not a date (YYYY-MM-DD or DD.MM.YYYY)"),
    "out_of_range": _l("out of range"),
    "sex": _l("not M or F"),
    "outside_period": _l("outside the period"),
    "outside_area": _l("outside the area"),
}
#: Reasons as uploads stored them before the codes (English text), read as their codes,
#: so lists uploaded by earlier versions need no data migration.
LEGACY_REASONS = {
    "not a client code": "code_format",
    "not a date (YYYY-MM-DD or DD.MM.YYYY)": "date_format",
    "not a date": "date_format",
    "out of range": "out_of_range",
    "not M or F": "sex",
    "outside the period": "outside_period",
    "outside the area": "outside_area",
}


def reason_code(stored: str) -> str:
    """The code of a stored reason (codes as they are; English text of old uploads mapped)."""
    return LEGACY_REASONS.get(stored, stored)


def reason_message(stored: str) -> str:
    """The English message of a stored reason (the API gives it beside the code)."""
    code = reason_code(stored)
    with force_locale("en"):
        return str(REJECTION_REASONS.get(code, code))


def _rows(file: IO[Any], required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """``(row number, row)`` of a CSV stream whose header has the ``required`` columns."""
    raw = file.read()
    text = raw.decode("utf-8-sig", errors="replace") if isinstance(raw, bytes) else raw
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ServiceError(_l("The file is empty."), "file")
    if (bare_cr := _BARE_CR.search(text)) is not None:
        raise ServiceError(
            _l("Line %(line)s has a carriage return (CR) without a line feed: save the file "
               "with Windows (CR LF) or Unix (LF) line endings.",
               line=text.count("\n", 0, bare_cr.start()) + 1),
            "file",
        )  # fmt: skip
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = [(name or "").strip().lower() for name in reader.fieldnames or []]
    columns = [ALIASES.get(name, name) for name in columns]
    missing = [name for name in required if name not in columns]
    if missing:
        raise ServiceError(
            _l("The file must have the columns: %(columns)s.", columns=", ".join(required)),
            "file",
        )
    reader.fieldnames = columns
    rows = enumerate(reader, start=2)
    while True:
        try:
            number, row = next(rows)
        except StopIteration:
            return
        except csv.Error:
            raise _unreadable(reader.reader.line_num) from None
        yield number, {k: (v or "").strip() for k, v in row.items() if k}


def _unreadable(line: int) -> ServiceError:
    """The error for a line the CSV reader refused (a value over its field limit, mostly).

    The reader's own message is not shown: it is English and may quote the file.
    """
    return ServiceError(
        _l("Line %(line)s cannot be read: a value is longer than %(limit)s characters or a "
           "quotation mark is not closed.", line=line, limit=csv.field_size_limit()),
        "file",
    )  # fmt: skip


def _parse_date(text: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _new_list(source_name: str, period: str, area_code: str, kind: str) -> SourceList:
    name = (source_name or "").strip()
    if not name or len(name) > 64:
        raise ServiceError(_l("Give the source a name of at most 64 characters."), "source_name")
    start, end = parse_period(period)
    area = find_area(area_code)
    return SourceList(
        source_name=name,
        kind=kind,
        period=period.strip(),
        period_start=start,
        period_end=end,
        area_id=area.id,
    )


def _store(
    source: SourceList,
    counts: Counter[str],
    rejected: list[dict[str, Any]],
    rows: int,
    actor: User,
    attributes: dict[str, tuple[str, int]] | None = None,
) -> SourceList:
    if not counts:
        raise ServiceError(_l("The file has no usable row: nothing was stored."), "file")
    source.row_count = rows
    source.accepted_count = sum(counts.values())
    source.code_count = len(counts)
    source.rejected_rows = rejected[:MAX_LISTED_REJECTIONS]
    source.created_by_id = actor.id
    db.session.add(source)
    db.session.flush()
    attributes = attributes or {}
    db.session.execute(
        SourceListCode.__table__.insert(),
        [
            {
                "list_id": source.id,
                "code": code,
                "occurrences": number,
                "sex": attributes.get(code, (None, None))[0],
                "birth_year": attributes.get(code, (None, None))[1],
            }
            for code, number in sorted(counts.items())
        ],
    )
    audit.record_event(
        actor,
        "create",
        "source_list",
        source.id,
        detail=f"kind={source.kind};rows={rows};codes={len(counts)};rejected={len(rejected)}",
    )
    return source


def upload_code_list(
    file: IO[Any], *, source_name: str, period: str, area_code: str, actor: User
) -> SourceList:
    """Store a CSV list of client codes (column ``code`` or ``client_code``: 64 hex digits).

    Optional columns keep only the rows of the list's period and area: ``contact_date``
    (YYYY-MM-DD; other rows are rejected as ``outside_period``) and ``region_code`` (an
    org-unit code; rows of units outside the area are rejected as ``outside_area``), so
    an agency's file of several years and regions can be uploaded as it is.
    """
    source = _new_list(source_name, period, area_code, "codes")
    inside = _units_inside(source.area_id)
    counts: Counter[str] = Counter()
    rejected: list[dict[str, Any]] = []
    rows = 0
    for number, row in _rows(file, CODE_COLUMNS):
        rows += 1
        code = row.get("code", "").lower()
        if not _CODE.match(code):
            rejected.append({"row": number, "field": "code", "reason": "code_format"})
            continue
        if row.get("contact_date"):
            day = _parse_date(row["contact_date"])
            if day is None:
                rejected.append({"row": number, "field": "contact_date", "reason": "date_format"})
                continue
            if not source.period_start <= day <= source.period_end:
                rejected.append(
                    {"row": number, "field": "contact_date", "reason": "outside_period"}
                )
                continue
        if row.get("region_code") and row["region_code"] not in inside:
            rejected.append({"row": number, "field": "region_code", "reason": "outside_area"})
            continue
        counts[code] += 1
    return _store(source, counts, rejected, rows, actor)


def _units_inside(area_id: int) -> set[str]:
    """Codes of the org units within the area (itself included)."""
    area = db.session.get(OrgUnit, area_id)
    assert area is not None
    return set(db.session.scalars(select(OrgUnit.code).where(OrgUnit.path.like(area.path + "%"))))


def _identifiers(
    row: dict[str, str], dates: dict[str, date | None]
) -> tuple[ClientIdentifiers | None, str, str]:
    """The row's identifiers, or ``None`` with the field and reason code of the first problem.

    ``dates`` memoises the file's date texts (a file repeats few thousand of them).
    """
    if not row.get("family_name"):
        return None, "family_name", "missing"
    text = row.get("birth_date", "")
    if text not in dates:
        dates[text] = _parse_date(text)
    birth_date = dates[text]
    if birth_date is None:
        return None, "birth_date", "date_format"
    if not 1900 <= birth_date.year <= date.today().year:
        return None, "birth_date", "out_of_range"
    sex = SEXES.get(row.get("sex", "").upper())
    if sex is None:
        return None, "sex", "sex"
    ids = ClientIdentifiers(row["family_name"], row.get("given_name", ""), birth_date, sex)
    return ids, "", ""


def upload_identifier_list(
    file: IO[Any], *, source_name: str, period: str, area_code: str, actor: User, key: str
) -> SourceList:
    """Turn a CSV of identifiers into codes in memory and store only the codes.

    Potential duplicates (one SLK letter different, same date of birth and sex) within
    the file and against registry clients are added for review.
    """
    from registry.services.duplicates import find_duplicate_candidates

    source = _new_list(source_name, period, area_code, "identifiers")
    counts: Counter[str] = Counter()
    attributes: dict[str, tuple[str, int]] = {}
    keys: dict[str, str] = {}  # SLK -> code, in memory only for the duplicate search
    rejected: list[dict[str, Any]] = []
    rows = 0
    # memos of this file only (names repeat): identifiers never outlive the upload
    names: dict[str, str] = {}
    dates: dict[str, date | None] = {}

    def normalise(name: str) -> str:
        if name not in names:
            names[name] = normalise_name(name)
        return names[name]

    for number, row in _rows(file, IDENTIFIER_COLUMNS):
        rows += 1
        ids, field, reason = _identifiers(row, dates)
        if ids is None:
            rejected.append({"row": number, "field": field, "reason": reason})
            continue
        slk = slk581(ids, normalise=normalise)
        code = code_from_slk(slk, key)
        counts[code] += 1
        attributes[code] = (ids.sex, ids.birth_date.year)
        keys[slk] = code
    names.clear()
    source = _store(source, counts, rejected, rows, actor, attributes)
    find_duplicate_candidates(source, keys, key=key)
    keys.clear()
    return source
