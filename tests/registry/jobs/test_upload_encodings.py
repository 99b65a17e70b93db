"""Uploads in the encodings Excel and other programs save (issue 14, item 3).

UTF-8 with or without a byte order mark, UTF-16 with one and Windows-1251 give the same
codes as the registry's; anything else is refused with a 422 naming the encoding problem
and the line, and nothing is stored. Nothing is ever decoded to U+FFFD.
"""

from __future__ import annotations

import codecs
import io
from datetime import date

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import SourceListCode
from registry.services.client_codes import ClientIdentifiers, client_code
from tests.conftest import TEST_SECRETS
from tests.registry.jobs.test_uploads_api import stored
from tests.registry.web.conftest import AuthActions

#: Three different people whose names differ only in Cyrillic letters: decoded with
#: errors="replace" every letter became U+FFFD and the three became one code.
PEOPLE = [
    ("Жумабеков", "Эрлан", date(1985, 7, 21), "М"),
    ("Садыкова", "Айгуль", date(1985, 7, 21), "Ж"),
    ("Усенов", "Бакыт", date(1985, 7, 21), "М"),
]
SEXES = {"М": "M", "Ж": "F"}


def csv_text(separator: str = ";") -> str:
    rows = [separator.join(("family_name", "given_name", "birth_date", "sex"))]
    rows += [separator.join((f, g, born.strftime("%d.%m.%Y"), s)) for f, g, born, s in PEOPLE]
    return "\r\n".join(rows) + "\r\n"


def expected_codes() -> set[str]:
    key = TEST_SECRETS["LINKAGE_KEY"]
    return {client_code(ClientIdentifiers(f, g, b, SEXES[s]), key) for f, g, b, s in PEOPLE}


def uploaded_codes(app, list_id: int) -> set[str]:
    with app.app_context():
        query = select(SourceListCode.code).where(SourceListCode.list_id == list_id)
        return set(db.session.scalars(query))


ENCODED = {
    "cp1251": csv_text().encode("cp1251"),
    "utf-8": csv_text().encode("utf-8"),
    "utf-8 with BOM": codecs.BOM_UTF8 + csv_text().encode("utf-8"),
    "utf-16 LE with BOM": codecs.BOM_UTF16_LE + csv_text("\t").encode("utf-16-le"),
    "utf-16 BE with BOM": codecs.BOM_UTF16_BE + csv_text().encode("utf-16-be"),
}


@pytest.mark.parametrize("content", ENCODED.values(), ids=ENCODED.keys())
def test_each_accepted_encoding_gives_the_registrys_codes_for_three_people(app, api, content):
    response = api.upload(content)
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["row_count"], body["accepted_count"], body["code_count"]) == (3, 3, 3)
    assert body["rejected_rows"] == []  # "М"/"Ж" in Cyrillic are the sexes
    assert uploaded_codes(app, body["id"]) == expected_codes()


def test_the_cp1251_bytes_are_real_windows_1251():
    """The test file is what Excel writes: one byte a letter, Ж = 0xC6."""
    content = ENCODED["cp1251"]
    assert "Жумабеков".encode("cp1251") in content and b"\xc6\xf3\xec" in content
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")


HEADER = "family_name,given_name,birth_date,sex\n"
NOT_READ = "не в кодировке UTF-8, UTF-16 или Windows-1251"
REFUSED = {
    # cp866 (DOS Cyrillic): decodes in cp1251 to symbols such as "Ђ" and "®"
    "cp866": ((HEADER + "Asanov,Bakyt,1980-03-14,M\nАсанов,Бакыт,1980-03-14,M\n").encode("cp866"),
              3, NOT_READ),
    # KOI8-R: capitalised Cyrillic names read in cp1251 as "бУБОПЧ"
    "koi8-r": ((HEADER + "Асанов,Бакыт,1980-03-14,M\n").encode("koi8-r"), 2, NOT_READ),
    # Latin-1: "Müller" would read as "Mьller" in cp1251
    "latin-1": ((HEADER + "Asanov,Bakyt,1980-03-14,M\nMüller,Hans,1980-03-14,M\n")
                .encode("latin-1"),
                3, NOT_READ),
    # UTF-8 with one damaged byte in the fourth line
    "broken utf-8": ((HEADER + "Асанов,Бакыт,1980-03-14,M\nАлиев,Тимур,1981-02-03,M\n").encode()
                     + b"\xd0\x41sanov,B,1980-03-14,M\n", 4, NOT_READ),
    # a file an earlier conversion already damaged
    "replacement character": ((HEADER + "Asanov,Bakyt,1980-03-14,M\n\ufffd\ufffdsanov,B,"
                               "1980-03-14,M\n").encode(), 3, "символ замены"),
    # UTF-16 without a byte order mark (or a workbook): NUL bytes
    "utf-16 without BOM": ((HEADER + "Asanov,Bakyt,1980-03-14,M\n").encode("utf-16-le"),
                           None, "байты NUL"),
    # a byte order mark that the rest of the file does not follow
    "utf-16 BOM, odd length": (codecs.BOM_UTF16_LE + HEADER.encode("utf-16-le") + b"A",
                               2, "недопустимый текст UTF-16"),
}  # fmt: skip


@pytest.mark.parametrize(("content", "line", "words"), REFUSED.values(), ids=REFUSED.keys())
def test_a_file_in_another_encoding_is_refused_naming_the_problem(app, api, content, line, words):
    """The messages are read in Russian, the working language (epi's locale)."""
    response = api.upload(content)
    assert response.status_code == 422
    (error,) = response.json["errors"]
    assert error["field"] == "file"
    assert words in error["detail"]
    if line is not None:
        assert f"В строке {line} " in error["detail"]
    assert "sanov" not in error["detail"]  # no value of the file is quoted
    assert stored(app) == (0, 0, 0)


def test_the_russian_form_refuses_a_cp866_file_with_the_encoding_named(app, client, registry_data):
    auth = AuthActions(client, registry_data.password)
    auth.login("epi")
    form = {"source_name": "police", "kind": "identifiers", "period": "2003", "area_code": "KG"}
    form["file"] = (io.BytesIO(REFUSED["cp866"][0]), "list.csv")
    response = auth.post("/studies/uploads", form, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="e-file"' in page and "В строке 3 " in page and "Windows-1251" in page
    assert stored(app) == (0, 0, 0)


def test_the_russian_form_takes_a_cp1251_list(app, client, registry_data):
    auth = AuthActions(client, registry_data.password)
    auth.login("epi")
    form = {"source_name": "police", "kind": "identifiers", "period": "2003", "area_code": "KG"}
    form["file"] = (io.BytesIO(ENCODED["cp1251"]), "list.csv")
    response = auth.post("/studies/uploads", form, content_type="multipart/form-data")
    assert response.status_code == 302
    list_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert uploaded_codes(app, list_id) == expected_codes()
