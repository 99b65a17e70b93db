"""Uploads through the API: good lists, rejected rows, and bad files that store nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import AuditEvent, DuplicateCandidate, SourceList, SourceListCode

GOOD = "family_name,given_name,birth_date,sex\nAsanov,Bakyt,1980-03-14,M\n"


def stored(app) -> tuple[int, int, int]:
    """Lists, codes and upload audit rows in the database."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(SourceList)),
            db.session.scalar(select(func.count()).select_from(SourceListCode)),
            db.session.scalar(
                select(func.count()).where(AuditEvent.entity == "source_list",
                                           AuditEvent.action == "create")
            ),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("content", "kind", "field"),
    [
        ("surname,name,dob,sex\nAsanov,Bakyt,1980-03-14,M\n", "identifiers", "file"),
        ("family_name,given_name,birth_date,sex\nAsanov,Bakyt,14/03/1980,M\n"
         "Aliev,Timur,1980-02-30,M\n", "identifiers", "file"),
        ("family_name,given_name,birth_date,sex\n", "identifiers", "file"),
        ("code\nnot-a-code\n", "codes", "file"),
        ("", "codes", "file"),
    ],
    ids=["wrong columns", "bad dates", "no rows", "no valid code", "empty"],
)  # fmt: skip
def test_a_bad_upload_is_refused_with_the_field_and_nothing_is_stored(
    app, api, content, kind, field
):
    response = api.upload(content.encode(), kind=kind)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert [e["field"] for e in response.json["errors"]] == [field]
    assert "Asanov" not in response.get_data(as_text=True)
    assert stored(app) == (0, 0, 0)


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"period": "2003-01"}, "period"), ({"area_code": "XX"}, "area_code"),
     ({"source_name": ""}, "source_name")],
)  # fmt: skip
def test_bad_upload_settings_name_their_field(app, api, fields, field):
    response = api.upload(GOOD.encode(), **fields)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json["errors"]]
    assert stored(app) == (0, 0, 0)


def test_rejected_rows_are_listed_with_reasons_and_no_values(app, api):
    content = GOOD + "Aliev,Timur,30.02.1981,M\nAliev,Timur,1981-02-03,X\n" + GOOD.split("\n")[1]
    response = api.upload(content.encode())
    assert response.status_code == 201
    body = response.json
    assert (body["row_count"], body["accepted_count"], body["code_count"]) == (4, 2, 1)
    assert body["rejected_rows"] == [
        {"row": 3, "field": "birth_date", "reason": "date_format",
         "message": "not a date (YYYY-MM-DD or DD.MM.YYYY)"},
        {"row": 4, "field": "sex", "reason": "sex", "message": "not M or F"},
    ]  # fmt: skip
    assert "Aliev" not in response.get_data(as_text=True)
    assert stored(app) == (1, 1, 1)
    assert api.get(f"/api/uploads/{body['id']}").json["code_count"] == 1


def padding(people: int) -> str:
    """Rows of distinct people far apart (no near-identical pair): a list of the minimum size."""
    return "".join(f"Person{chr(65 + n % 26)}{n};Given;{1950 + n % 40}-01-{1 + n % 28:02d};M\n"
                   for n in range(people))  # fmt: skip


def test_near_identical_identifiers_are_listed_and_an_accepted_pair_is_merged(app, api):
    content = (
        "family_name;given_name;birth_date;sex\n"
        "Жумабеков;Эрлан;1985-07-21;M\nЖамабеков;Эрлан;21.07.1985;M\n"
        "Садыкова;Айгуль;1990-01-13;F\n" + padding(60)
    )
    police = api.upload(content.encode()).json
    pairs = api.get("/api/duplicates", query_string={"list_id": police["id"]}).json
    assert len(pairs) == 1 and pairs[0]["reason"] == "family_name"
    assert pairs[0]["scope"] == "upload" and "Жумабеков" not in str(pairs)
    ngo = api.upload(content.encode(), source_name="ngo").json
    query = {"lists": [police["ref"], ngo["ref"]], "period": "2003", "area_code": "KG"}
    assert api.get("/api/linkage/overlap", query_string=query).json["observed"] == 63

    decided = api.post(f"/api/duplicates/{pairs[0]['id']}", json={"decision": "accepted"})
    assert decided.status_code == 200 and decided.json["decision"] == "accepted"
    assert api.get("/api/linkage/overlap", query_string=query).json["observed"] == 62
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DuplicateCandidate)) == 2


def test_an_agencys_file_keeps_only_the_rows_of_the_period_and_area(api):
    content = (
        "client_code,contact_date,region_code\n"
        + f"{'a' * 64},2003-05-01,KG-GB\n"
        + f"{'b' * 64},2002-12-31,KG-GB\n"
        + f"{'c' * 64},2003-07-01,KG-GO\n"
        + f"{'d' * 64},2003-07-01,KG-GB\n"
    )
    body = api.upload(content.encode(), kind="codes", area_code="KG-GB").json
    assert (body["row_count"], body["code_count"]) == (4, 2)
    assert [(r["row"], r["reason"]) for r in body["rejected_rows"]] == [
        (3, "outside_period"), (4, "outside_area")
    ]  # fmt: skip
