"""Rejected rows keep a stable reason code: the API gives code and English message, pages
translate the code; reasons stored as English text by earlier versions read as their codes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from registry.extensions import db
from registry.models import OrgUnit, SourceList
from registry.services.uploads import REJECTION_REASONS

IDENTIFIERS = (
    "family_name,given_name,birth_date,sex\n"
    "Asanov,Bakyt,1980-03-14,M\n"  # row 2: kept
    ",Bakyt,1980-03-14,M\n"  # 3: no family name
    "Asanov,Bakyt,14/03/1980,M\n"  # 4: not a date
    "Asanov,Bakyt,1880-03-14,M\n"  # 5: out of range
    "Asanov,Bakyt,1980-03-14,X\n"  # 6: sex
    "Asanov,,1980-03-14,M\n"  # 7: no given name
    "Asanov,?? 12,1980-03-14,M\n"  # 8: a given name without a letter
)
CODES = (
    "code,contact_date,region_code\n"
    f"{'a' * 64},2003-05-01,KG-GB\n"  # 2: kept
    "not-a-code,2003-05-01,KG-GB\n"  # 3
    f"{'b' * 64},01/05/2003,KG-GB\n"  # 4
    f"{'c' * 64},2002-05-01,KG-GB\n"  # 5
    f"{'d' * 64},2003-05-01,KG-C\n"  # 6
)
ENGLISH = {
    "missing": "missing",
    "letters": "no Cyrillic or Latin letter",
    "date_format": "not a date (YYYY-MM-DD or DD.MM.YYYY)",
    "out_of_range": "out of range",
    "sex": "not M or F",
    "code_format": "not a client code (64 hexadecimal digits)",
    "outside_period": "outside the period",
    "outside_area": "outside the area",
}
#: Russian page text of each code (registry/translations/ru/LC_MESSAGES/messages.po).
RUSSIAN = {
    "missing": "не заполнено",
    "letters": "нет ни кириллической, ни латинской буквы",
    "date_format": "не дата (ГГГГ-ММ-ДД или ДД.ММ.ГГГГ)",
    "out_of_range": "вне допустимого диапазона",
    "sex": "не M и не F",
    "code_format": "не код клиента (64 шестнадцатеричные цифры)",
    "outside_period": "вне периода",
    "outside_area": "вне территории",
}


def test_the_api_gives_each_rejected_row_its_code_and_english_message(api):
    people = api.upload(IDENTIFIERS.encode()).json
    codes = api.upload(CODES.encode(), kind="codes", area_code="KG-GB").json
    rows = people["rejected_rows"] + codes["rejected_rows"]
    assert [(r["row"], r["field"], r["reason"]) for r in rows] == [
        (3, "family_name", "missing"), (4, "birth_date", "date_format"),
        (5, "birth_date", "out_of_range"), (6, "sex", "sex"),
        (7, "given_name", "missing"), (8, "given_name", "letters"),
        (3, "code", "code_format"), (4, "contact_date", "date_format"),
        (5, "contact_date", "outside_period"), (6, "region_code", "outside_area"),
    ]  # fmt: skip
    assert {r["reason"]: r["message"] for r in rows} == ENGLISH
    assert set(ENGLISH) == set(REJECTION_REASONS)
    with api.client.application.app_context():
        stored = db.session.scalars(select(SourceList.rejected_rows).order_by(SourceList.id))
        assert [r["reason"] for rejected in stored for r in rejected] == [
            r["reason"] for r in rows
        ]  # the codes themselves are stored


def test_the_upload_page_translates_the_codes(api):
    people = api.upload(IDENTIFIERS.encode()).json
    codes = api.upload(CODES.encode(), kind="codes", area_code="KG-GB").json
    pages = "".join(
        api.get(f"/studies/uploads/{body['id']}").get_data(as_text=True) for body in (people, codes)
    )
    for code, russian in RUSSIAN.items():
        assert russian in pages, code
        assert f"<td>{code}</td>" not in pages  # the reason cell, not the column


def test_reasons_stored_as_english_text_read_as_their_codes(app, api, registry_data):
    old = [
        {"row": 2, "field": "code", "reason": "not a client code"},
        {"row": 3, "field": "contact_date", "reason": "not a date"},
        {"row": 4, "field": "contact_date", "reason": "outside the period"},
        {"row": 5, "field": "birth_date", "reason": "not a date (YYYY-MM-DD or DD.MM.YYYY)"},
    ]
    with app.app_context():
        area = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "KG"))
        source = SourceList(
            source_name="police", kind="codes", period="2003", period_start=date(2003, 1, 1),
            period_end=date(2003, 12, 31), area_id=area, row_count=5, accepted_count=1,
            code_count=1, rejected_rows=old,
        )  # fmt: skip
        db.session.add(source)
        db.session.commit()
        list_id = source.id
    body = api.get(f"/api/uploads/{list_id}").json
    assert [r["reason"] for r in body["rejected_rows"]] == [
        "code_format", "date_format", "outside_period", "date_format"
    ]  # fmt: skip
    assert body["rejected_rows"][0]["message"] == "not a client code (64 hexadecimal digits)"
    page = api.get(f"/studies/uploads/{list_id}").get_data(as_text=True)
    assert page.count(RUSSIAN["date_format"]) == 4  # two summary rows, two listed rows
    assert RUSSIAN["code_format"] in page and RUSSIAN["outside_period"] in page
