"""The upload form and ``POST /api/uploads`` follow one schema: the same rules, the same
messages (issue 14, "twin schemas with different rules").

Before, the form had its own schema (a required ``kind``, a checked period, lengths) and
the API another (``kind`` defaulted to codes, no length, no NUL check: a source name with
a NUL character was stored on SQLite and a server error on PostgreSQL). Both now load
``registry.schemas.studies.UploadFieldsSchema``.
"""

from __future__ import annotations

import html
import io

import pytest

from tests.registry.jobs.test_uploads_api import stored
from tests.registry.web.conftest import AuthActions

CODES = "code\n" + "".join(f"{i:064x}\n" for i in range(1, 4))
FIELDS = {"kind": "codes", "source_name": "police", "period": "2003", "area_code": "KG"}
BAD = {
    "source name too long": ({"source_name": "x" * 65}, "source_name"),
    "source name blank": ({"source_name": "   "}, "source_name"),
    "NUL in the source name": ({"source_name": "po\x00lice"}, "source_name"),
    "area code too long": ({"area_code": "K" * 40}, "area_code"),
    "period": ({"period": "2003-13"}, "period"),
    "kind": ({"kind": "pdf"}, "kind"),
}


@pytest.fixture
def epi(api, client, registry_data) -> AuthActions:
    """The pages as ``epi``, in the session the API fixture signed in."""
    return AuthActions(client, registry_data.password)


def form_post(epi: AuthActions, fields: dict):
    body = {**fields, "file": (io.BytesIO(CODES.encode()), "list.csv")}
    return epi.post("/studies/uploads", body, content_type="multipart/form-data")


@pytest.mark.parametrize(("changes", "field"), BAD.values(), ids=BAD.keys())
def test_the_form_and_the_api_refuse_alike(app, api, epi, changes, field):
    fields = {**FIELDS, **changes}
    answer = api.post("/api/uploads", data={**fields, "file": (io.BytesIO(CODES.encode()),
                                                               "list.csv")},
                      content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert [e["field"] for e in answer.json["errors"]] == [field]
    detail = answer.json["errors"][0]["detail"]
    page = form_post(epi, fields)
    assert page.status_code == 422
    text = html.unescape(page.get_data(as_text=True))
    assert f'id="e-{field}"' in page.get_data(as_text=True)
    assert detail in text, (detail, field)  # the same message beside the input
    assert stored(app) == (0, 0, 0)


def test_kind_defaults_to_codes_on_both(app, api, epi):
    fields = {k: v for k, v in FIELDS.items() if k != "kind"}
    answer = api.post("/api/uploads", data={**fields, "file": (io.BytesIO(CODES.encode()),
                                                               "list.csv")},
                      content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 201, answer.json
    assert answer.json["kind"] == "codes" and answer.json["code_count"] == 3
    page = form_post(epi, {**fields, "source_name": "ngo"})
    assert page.status_code == 302, page.get_data(as_text=True)
    lists = api.get("/api/uploads").json
    assert [(s["source_name"], s["kind"]) for s in lists] == [("ngo", "codes"),
                                                              ("police", "codes")]  # fmt: skip
