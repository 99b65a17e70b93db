"""Uploads of other agencies' lists (police, NGO outreach ...) as client codes.

Public interface::

    upload_code_list(file, *, source_name: str, period: str, area_code: str,
                     actor: User) -> SourceList
    upload_identifier_list(file, *, source_name: str, period: str, area_code: str,
                           actor: User, key: str) -> SourceList
    REJECTION_REASONS: dict[str, LazyString]     # reason code -> message (translated)
    reason_code(stored: str) -> str              # the code (also of older English reasons)
    reason_message(stored: str) -> str           # the English message (for the API)
    #: What an upload holds (its ``kind``), as the upload form offers it.
KINDS = {
    "codes": _l("Client codes (column: code)"),
    "identifiers": _l("Identifiers (columns: family_name, given_name, birth_date, sex)"),
}
#: The longest source name (the column's width).
SOURCE_NAME_LENGTH = 64
CODE_COLUMNS = ("code",)
    ALIASES = {"client_code": "code", "date": "contact_date"}
    IDENTIFIER_COLUMNS = ("family_name", "given_name", "birth_date", "sex")

``file`` is a binary or text stream of a CSV file with a header row (UTF-8 with or
without a byte order mark, UTF-16 with one, or Windows-1251; comma or semicolon
separated; extra columns are ignored; see :mod:`registry.services.upload_files`).
``period`` is an ISO period ("2003", "2003Q1", "200301"); ``area_code`` an org-unit
code ("KG", "KG-GB"). ``key`` is the ``LINKAGE_KEY`` (``current_app.config["LINKAGE_KEY"]``).

Each row becomes a code; a code seen on several rows is kept once with its number of
``occurrences`` (what single-list count estimators need). Rows that cannot be used are
counted in ``SourceList.rejected_rows`` as ``{"row": n, "field": ..., "reason": code}``
with a stable code of :data:`REJECTION_REASONS` (row 1 is the header; no submitted value
is ever kept); the API gives the code with its English message, pages translate it. A
file with missing columns, no usable row, or a line the CSV reader cannot read (a
carriage return without a line feed, a value over its 131,072-character field limit)
or an encoding that is not one of these raises
:class:`~registry.services.errors.ServiceError` on field ``file`` (naming the line) and
nothing is added to the session. Identifiers exist only in memory while the file is
read: they are never stored or logged. Identifier uploads also add
:class:`~registry.models.DuplicateCandidate` rows (see :mod:`registry.services.linkage`).
The caller commits; every upload is audited (``create source_list``).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from typing import IO, Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db
from registry.models import Client, OrgUnit, SourceList, SourceListCode, User
from registry.services import audit
from registry.services.bulk import insert_rows
from registry.services.client_codes import (
    FAMILY_POSITIONS,
    GIVEN_POSITIONS,
    SEX_DIGITS,
    keyed_hasher,
    legacy_normalise_name,
    normalise_name,
    slk_letters,
)
from registry.services.errors import ServiceError
from registry.services.periods import find_area, parse_period
from registry.services.upload_files import csv_rows

#: What an upload holds (its ``kind``), as the upload form offers it.
KINDS = {
    "codes": _l("Client codes (column: code)"),
    "identifiers": _l("Identifiers (columns: family_name, given_name, birth_date, sex)"),
}
#: The longest source name (the column's width).
SOURCE_NAME_LENGTH = 64
CODE_COLUMNS = ("code",)
#: Other names accepted for a column (the simulator's lists use ``client_code``).
ALIASES = {"client_code": "code", "date": "contact_date"}
IDENTIFIER_COLUMNS = ("family_name", "given_name", "birth_date", "sex")
SEXES = {"M": "M", "F": "F", "М": "M", "Ж": "F", "1": "M", "2": "F"}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
_CODE = re.compile(r"^[0-9a-f]{64}$")
#: Reasons kept for rejected rows (at most this many rows are listed; all are counted).
MAX_LISTED_REJECTIONS = 1000

#: Why a row was rejected: the stable code stored with the row, and its message.
REJECTION_REASONS = {
    "code_format": _l("not a client code (64 hexadecimal digits)"),
    "missing": _l("missing"),
    "letters": _l("no Cyrillic or Latin letter"),
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


def _parse_date(text: str) -> date | None:
    """The date of ``YYYY-MM-DD`` or ``DD.MM.YYYY`` (one digit for day or month allowed)."""
    if len(text) == 10 and text.isascii():  # the usual two forms, without strptime's cost
        digits = text.replace("-", "").replace(".", "")
        try:
            if text[4] == text[7] == "-" and len(digits) == 8 and digits.isdigit():
                return date(int(text[:4]), int(text[5:7]), int(text[8:]))
            if text[2] == text[5] == "." and len(digits) == 8 and digits.isdigit():
                return date(int(text[6:]), int(text[3:5]), int(text[:2]))
        except ValueError:  # 2003-02-30: strptime refuses it too
            return None
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _new_list(source_name: str, period: str, area_code: str, kind: str) -> SourceList:
    name = (source_name or "").strip()
    if not name or len(name) > SOURCE_NAME_LENGTH:
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
    *,
    staged: bool = False,
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
    if not staged:  # a staged upload's codes are written by its job (upload_jobs)
        insert_rows(
            SourceListCode.__table__,
            ("list_id", "code", "occurrences", "sex", "birth_year"),
            [(source.id, code, number, *attributes.get(code, (None, None)))
             for code, number in sorted(counts.items())],
        )  # fmt: skip
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
    for number, row in csv_rows(file, CODE_COLUMNS, ALIASES):
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


class _IdentifierRows:
    """SLK-581 keys of identifier rows, with memos of this file only.

    Names and dates repeat in a file: each distinct text is normalised or parsed once.
    The memos hold identifiers, so they live as long as this object, one upload, and are
    cleared at its end. The key is the one :func:`slk581` gives (a test checks it).
    """

    def __init__(self) -> None:
        Letters = dict[str, tuple[str, str] | None]  # text -> (current, version-1 letters)
        self.family: Letters = {}
        self.given: Letters = {}
        self.dates: dict[str, tuple[int, str] | str] = {}
        self.this_year = date.today().year
        #: current SLK -> version-1 SLK, for keys of names with a doubled letter
        self.legacy: dict[str, str] = {}

    def _letters(self, memo, text: str, positions: tuple[int, ...]):
        if text not in memo:
            name = normalise_name(text)
            legacy = legacy_normalise_name(text) if name else ""
            memo[text] = (
                (slk_letters(name, positions), slk_letters(legacy, positions)) if name else None
            )
        return memo[text]

    def _date(self, text: str) -> tuple[int, str] | str:
        """``(year, "DDMMYYYY")`` of a date text, or the reason code it is refused for."""
        if text not in self.dates:
            day = _parse_date(text)
            if day is None:
                self.dates[text] = "date_format"
            elif not 1900 <= day.year <= self.this_year:
                self.dates[text] = "out_of_range"
            else:
                self.dates[text] = (day.year, f"{day.day:02d}{day.month:02d}{day.year:04d}")
        return self.dates[text]

    def key(self, row: dict[str, str]) -> tuple[str, str, int] | tuple[None, str, str]:
        """``(slk, sex, birth year)``, or ``(None, field, reason)`` of the first problem."""
        for field in ("family_name", "given_name"):
            if not row.get(field):
                return None, field, "missing"
        family = self._letters(self.family, row["family_name"], FAMILY_POSITIONS)
        if family is None:
            return None, "family_name", "letters"
        given = self._letters(self.given, row["given_name"], GIVEN_POSITIONS)
        if given is None:
            return None, "given_name", "letters"
        born = self._date(row.get("birth_date", ""))
        if isinstance(born, str):
            return None, "birth_date", born
        sex = SEXES.get(row.get("sex", "").upper())
        if sex is None:
            return None, "sex", "sex"
        rest = f"{born[1]}{SEX_DIGITS[sex]}"
        slk = f"{family[0]}{given[0]}{rest}"
        if family[1] != family[0] or given[1] != given[0]:
            self.legacy[slk] = f"{family[1]}{given[1]}{rest}"
        return slk, sex, born[0]

    def clear(self) -> None:
        self.family.clear()
        self.given.clear()
        self.dates.clear()
        self.legacy.clear()


def _keep_registered_codes(
    keys: dict[str, str], counts: Counter[str], attributes: dict, legacy: dict[str, str], code_of
) -> None:
    """Count a person under the version-1 code a registry client holds, if any.

    A name with a doubled letter has a version-1 SLK (doubles kept) besides the current
    one; a client registered before doubles were folded keeps the version-1 code, so a
    row of theirs links to them only under that code (docs/client-codes.md).
    """
    if not legacy:
        return
    old = {code_of(slk.encode()).hex(): slk for slk in set(legacy.values())}
    registered: set[str] = set()
    codes = sorted(old)
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        registered.update(db.session.scalars(select(Client.code).where(Client.code.in_(chunk))))
    for slk, legacy_slk in legacy.items():
        legacy_code = code_of(legacy_slk.encode()).hex()
        if legacy_code not in registered or slk not in keys:
            continue
        code = keys[slk]
        keys[slk] = legacy_code
        counts[legacy_code] += counts.pop(code, 0)
        attributes.setdefault(legacy_code, attributes[code])
        if code not in counts:
            attributes.pop(code, None)


def upload_identifier_list(
    file: IO[Any], *, source_name: str, period: str, area_code: str, actor: User, key: str
) -> SourceList:
    """Turn a CSV of identifiers into codes in memory and store only the codes.

    Potential duplicates (one SLK letter different, same date of birth and sex) within
    the file and against registry clients are added for review. A file of more than
    ``UPLOAD_BACKGROUND_ROWS`` rows is coded and searched against the registry here,
    then paired by the job worker: the list is ``processing`` until its job has stored
    the codes and pairs (:mod:`registry.services.upload_jobs`).
    """
    from registry.services.duplicates import find_duplicate_candidates
    from registry.services.upload_jobs import stage_upload

    source = _new_list(source_name, period, area_code, "identifiers")
    code_of = keyed_hasher(key)
    counts: Counter[str] = Counter()
    attributes: dict[str, tuple[str, int]] = {}
    keys: dict[str, str] = {}  # SLK -> code, in memory only for the duplicate search
    rejected: list[dict[str, Any]] = []
    rows = 0
    reader = _IdentifierRows()
    for number, row in csv_rows(file, IDENTIFIER_COLUMNS, ALIASES):
        rows += 1
        slk, sex, year = reader.key(row)
        if slk is None:
            rejected.append({"row": number, "field": sex, "reason": year})
            continue
        code = keys.get(slk)
        if code is None:
            code = keys[slk] = code_of(slk.encode()).hex()
            attributes[code] = (sex, year)  # type: ignore[assignment]
        counts[code] += 1
    _keep_registered_codes(keys, counts, attributes, reader.legacy, code_of)
    reader.clear()
    background = current_app.config["UPLOAD_BACKGROUND_ROWS"]
    if counts and background and rows > background:
        source = _store(source, counts, rejected, rows, actor, attributes, staged=True)
        stage_upload(source, counts, attributes, keys, key=key, actor=actor)
    else:
        source = _store(source, counts, rejected, rows, actor, attributes)
        find_duplicate_candidates(source, keys, key=key)
    keys.clear()
    return source
