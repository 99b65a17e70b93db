"""Reading an uploaded CSV file: its encoding, its dialect and its rows.

Public interface::

    decode_upload(raw: bytes | str) -> str     # ServiceError on "file" naming the problem
    csv_rows(file, required, aliases) -> Iterator[tuple[int, dict[str, str]]]

Encodings (issue 14): a byte-order mark decides (UTF-8 or UTF-16, little or big endian);
without one the file is UTF-8 if it decodes as UTF-8, else Windows-1251 (cp1251, what
Excel saves as "CSV" on a Russian Windows) if its non-ASCII characters are the letters
and punctuation of Cyrillic text. Anything else is refused with a message naming the
encoding problem and the line. Nothing is ever decoded to U+FFFD: a byte that does not
decode refuses the file, and a file that already holds U+FFFD (damaged by an earlier
conversion) is refused too, since its names would give wrong codes.

Why cp1251 is checked, not just decoded: every byte but 0x98 decodes in cp1251, so a
file in another encoding (cp866, KOI8-R, Latin-1, a corrupted UTF-8 file) would decode
to plausible-looking nonsense and different people would merge. cp866 and broken UTF-8
give symbols (``Ђ``, ``°``, ``®``) outside the accepted set; Latin-1 names give Latin
letters run together with Cyrillic ones (``Mьller``), and KOI8-R's capitalised names a
small letter before capitals (``бУБОПЧ`` for ``Асанов``), which genuine text does not do.
A KOI8-R file written all in capitals or all in small letters is not told apart.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from typing import IO, Any

from flask_babel import lazy_gettext as _l

from registry.services.errors import ServiceError

#: A carriage return not followed by a line feed: the CSV reader cannot place it.
_BARE_CR = re.compile(r"\r(?!\n)")
#: Byte-order marks and their codecs (UTF-16 before nothing else: no UTF-32 upload).
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
#: Characters outside ASCII that a cp1251 text of names may hold: the Russian alphabet,
#: the Belarusian, Ukrainian and Uzbek letters cp1251 has, quotes, dashes, No. and NBSP.
_CP1251_TEXT = re.compile("[^\x00-\x7f\u0410-\u044fЁёЎўІіЇїЄєҐґ«»„“”‘’–—…№\u00a0]")
#: A Latin letter next to a Cyrillic one: what a Latin-1 file read as cp1251 looks like;
#: or a lower-case Cyrillic letter before capitals ("бУБОПЧ"): a KOI8-R file's capitalised
#: names ("Асанов") read as cp1251, since KOI8-R has the two cases the other way round.
_MIXED_SCRIPT = re.compile(
    "[A-Za-z][\u0400-\u04ff]|[\u0400-\u04ff][A-Za-z]|(?<![\u0400-\u04ff])[а-яё][А-ЯЁ]{2}"
)


def _line(text: str | bytes, position: int) -> int:
    newline = "\n" if isinstance(text, str) else b"\n"
    return text.count(newline, 0, position) + 1  # type: ignore[arg-type]


def _refuse_encoding(line: int) -> ServiceError:
    return ServiceError(
        _l("Line %(line)s is not UTF-8, UTF-16 or Windows-1251 (cp1251) text: save the file "
           "as “CSV UTF-8” and upload it again.", line=line),
        "file",
    )  # fmt: skip


def _cp1251(raw: bytes) -> str | None:
    """The cp1251 text of ``raw`` if it reads as Cyrillic text, else ``None``."""
    try:
        text = raw.decode("cp1251")
    except UnicodeDecodeError:
        return None
    if _CP1251_TEXT.search(text) or _MIXED_SCRIPT.search(text):
        return None
    return text


def decode_upload(raw: bytes | str) -> str:
    """The text of an uploaded file (see the module docstring for the encodings)."""
    if isinstance(raw, str):
        text = raw
    else:
        for bom, codec, name in BOMS:
            if raw.startswith(bom):
                try:
                    text = raw.decode(codec)
                except UnicodeDecodeError as error:
                    raise ServiceError(
                        _l("Line %(line)s is not valid %(encoding)s although the file starts "
                           "with the %(encoding)s byte order mark: save the file as “CSV "
                           "UTF-8” and upload it again.",
                           line=_line(raw, error.start), encoding=name),
                        "file",
                    ) from None  # fmt: skip
                break
        else:
            if b"\x00" in raw:
                raise ServiceError(
                    _l("The file is not a CSV text file (it holds NUL bytes: a workbook, or "
                       "UTF-16 without a byte order mark): save it as “CSV UTF-8”."),
                    "file",
                )  # fmt: skip
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                cyrillic = _cp1251(raw)
                if cyrillic is None:
                    raise _refuse_encoding(_line(raw, error.start)) from None
                text = cyrillic
    text = text.lstrip("\ufeff")
    if (damaged := text.find("\ufffd")) >= 0:
        raise ServiceError(
            _l("Line %(line)s holds the replacement character “�”: the file was damaged by an "
               "earlier conversion of its encoding. Save it again from the original as “CSV "
               "UTF-8”.", line=_line(text, damaged)),
            "file",
        )  # fmt: skip
    if (nul := text.find("\x00")) >= 0:
        raise ServiceError(
            _l("Line %(line)s holds a NUL character.", line=_line(text, nul)), "file"
        )
    return text


def csv_rows(
    file: IO[Any], required: tuple[str, ...], aliases: dict[str, str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """``(row number, row)`` of a CSV stream whose header has the ``required`` columns.

    Column names are lower-cased and renamed by ``aliases``; values are stripped.
    """
    text = decode_upload(file.read())
    if not text.strip():
        raise ServiceError(_l("The file is empty."), "file")
    if (bare_cr := _BARE_CR.search(text)) is not None:
        raise ServiceError(
            _l("Line %(line)s has a carriage return (CR) without a line feed: save the file "
               "with Windows (CR LF) or Unix (LF) line endings.",
               line=_line(text, bare_cr.start())),
            "file",
        )  # fmt: skip
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect=dialect)
    try:
        header = next(reader)
    except csv.Error:
        raise _unreadable(reader.line_num) from None
    columns = [aliases.get(name, name) for name in (n.strip().lower() for n in header)]
    if any(name not in columns for name in required):
        raise ServiceError(
            _l("The file must have the columns: %(columns)s.", columns=", ".join(required)),
            "file",
        )
    named = [(i, name) for i, name in enumerate(columns) if name]
    number = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise _unreadable(reader.line_num) from None
        if not values:  # blank lines are skipped and not numbered (as csv.DictReader did)
            continue
        number += 1
        width = len(values)
        yield number, {name: values[i].strip() if i < width else "" for i, name in named}


def _unreadable(line: int) -> ServiceError:
    """The error for a line the CSV reader refused (a value over its field limit, mostly).

    The reader's own message is not shown: it is English and may quote the file.
    """
    return ServiceError(
        _l("Line %(line)s cannot be read: a value is longer than %(limit)s characters or a "
           "quotation mark is not closed.", line=line, limit=csv.field_size_limit()),
        "file",
    )  # fmt: skip
