"""Files the CSV reader cannot read: 422 naming the line, on the API and the form; nothing stored.

A carriage return without a line feed (a bare CR inside a line, or a whole file with the
old Mac line endings) and a value longer than Python csv's field limit (131,072
characters) used to end in a server error.
"""

from __future__ import annotations

import io

import pytest

from tests.registry.jobs.test_uploads_api import stored
from tests.registry.web.conftest import AuthActions

HEADER = "family_name,given_name,birth_date,sex"
ROW = "Asanov,Bakyt,1980-03-14,M"

BAD_FILES = {
    "bare CR in a line": (f"{HEADER}\n{ROW}\nAliev,Ti\rmur,1981-02-03,M\n{ROW}\n", 3),
    "CR line endings": (f"{HEADER}\r{ROW}\r{ROW}\r", 1),
    "field over the csv limit": (f"{HEADER}\n{ROW}\n{ROW}\nA{'x' * 131_072},B,1980-01-01,M\n", 4),
}


@pytest.mark.parametrize(("content", "line"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_an_unreadable_file_is_refused_on_the_api_naming_its_line(app, api, content, line):
    response = api.upload(content.encode())
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    (error,) = response.json["errors"]
    assert error["field"] == "file"
    assert f" {line} " in error["detail"]  # "Line 3 ...", "В строке 3 ..."
    assert "Asanov" not in response.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)


@pytest.mark.parametrize(("content", "line"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_an_unreadable_file_is_refused_on_the_form_naming_its_line(
    app, client, registry_data, content, line
):
    auth = AuthActions(client, registry_data.password)
    auth.login("epi")
    auth.post("/language", {"locale": "en", "next": "/"}, form_path="/login")
    form = {"source_name": "police", "kind": "identifiers", "period": "2003", "area_code": "KG"}
    form["file"] = (io.BytesIO(content.encode()), "list.csv")
    response = auth.post("/studies/uploads", form, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="e-file"' in page and f"Line {line} " in page
    assert "Asanov" not in page
    assert stored(app) == (0, 0, 0)


def test_crlf_line_endings_are_read_as_before(app, api):
    response = api.upload(f"{HEADER}\r\n{ROW}\r\n".encode())
    assert response.status_code == 201
    assert response.json["accepted_count"] == 1
