"""Analytics as spreadsheets: XLSX cells and CSV fields checked one by one against JSON.

The XLSX is opened with openpyxl: every cell must equal the JSON answer's value, with
numbers as number cells (decimals with the number format) and withheld values empty, as
in the CSV. The CSV is read with and without its opt-in byte order mark (``bom=1``).
The DHIS2 face's workbook holds its grid's values as numbers.
"""

from __future__ import annotations

import csv
import io

import flask_babel
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from registry.auth.tokens import create_token
from registry.models import AuditEvent
from registry.spreadsheets import DECIMAL_FORMAT, XLSX_MIMETYPE

#: Counts, a rate and a percentage with decimals, an estimate; regions by sex, so the
#: small registry's ones are withheld at threshold 2.
QUERY = ("dx=TDI_ENTRANTS;REG_CLIENTS;REG_PER_100K;HIV_PWID_PREVALENCE;EST_USERS"
         "&pe=2003;2003Q4&ou=KG;KG-GB;KG-GO&dimension=sex")  # fmt: skip


@pytest.fixture
def app_config() -> dict:
    return {"SUPPRESSION_THRESHOLD": 2}


@pytest.fixture
def get(client, small_registry, actor, db_session):
    """``get(path, username="ministry", **headers) -> response`` with a Bearer token."""
    secrets: dict[str, str] = {}

    def fetch(path: str, username: str = "ministry", **headers: str):
        if username not in secrets:
            secrets[username] = create_token(actor(username), "spreadsheet test")[1]
            db_session.commit()
        headers["Authorization"] = f"Bearer {secrets[username]}"
        # the requests share the fixture's app context, where Flask-Babel keeps the
        # first request's locale: forget it, as a new app context would
        flask_babel.refresh()
        return client.get(path, headers=headers)

    return fetch


def workbook_rows(response) -> list[list]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLSX_MIMETYPE
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    return [[cell for cell in row] for row in book.worksheets[0].iter_rows()]


def assert_cell_is(cell, value) -> None:
    """``cell`` holds ``value``: an empty cell for None, a typed number for a number."""
    if value is None:
        assert cell.value is None
    elif isinstance(value, str):
        assert (cell.data_type, cell.value) == ("s", value)
    else:
        assert cell.data_type == "n"
        assert cell.value == value  # openpyxl reads 50.0 back as the integer 50
        assert cell.number_format == (DECIMAL_FORMAT if isinstance(value, float) else "General")


@pytest.mark.parametrize("threshold", [1, 2])
def test_xlsx_holds_every_value_of_the_json_answer_as_a_typed_cell(get, app, threshold):
    app.config["SUPPRESSION_THRESHOLD"] = threshold
    body = get(f"/api/v1/analytics?{QUERY}").get_json()
    rows = workbook_rows(get(f"/api/v1/analytics.xlsx?{QUERY}"))
    assert [c.value for c in rows[0]] == ["Indicator", "Period", "Org unit", "Sex", "Value",
                                          "Status"]  # fmt: skip
    assert len(rows) == len(body["rows"]) + 1
    for cells, values in zip(rows[1:], body["rows"], strict=True):
        assert len(cells) == len(values)
        for cell, value in zip(cells, values, strict=True):
            assert_cell_is(cell, value)
    values = [row[-2] for row in body["rows"]]
    # each kind of cell is there, so every branch of assert_cell_is was taken
    assert any(isinstance(v, int) for v in values) and None in values
    if threshold == 1:
        assert any(isinstance(v, float) and not v.is_integer() for v in values)
    else:
        assert "suppressed" in [row[-1] for row in body["rows"]]


def test_xlsx_headers_and_legend_follow_accept_language(get):
    response = get(f"/api/v1/analytics.xlsx?{QUERY}", **{"Accept-Language": "ru"})
    book = load_workbook(io.BytesIO(response.data))
    data, legend = book.worksheets
    assert [c.value for c in data[1]] == ["Показатель", "Период", "Территория", "Пол",
                                          "Значение", "Статус"]  # fmt: skip
    names = dict(legend.iter_rows(min_row=2, values_only=True))
    items = get(f"/api/v1/analytics?{QUERY}", **{"Accept-Language": "ru"}).get_json()
    assert {code: item["name"] for code, item in items["metaData"]["items"].items()}.items() <= (
        names.items()
    )
    assert names["KG-GB"] == "г. Бишкек"
    assert names["suppressed"].startswith("Скрыто")
    assert names["M"] == "Мужской"
    english = load_workbook(io.BytesIO(get(f"/api/v1/analytics.xlsx?{QUERY}").data))
    assert dict(english.worksheets[1].iter_rows(min_row=2, values_only=True))["KG-GB"] == (
        "Bishkek city"
    )


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("bom", [None, "0", "1"])
def test_csv_with_and_without_bom_holds_every_value(get, bom):
    body = get(f"/api/v1/analytics?{QUERY}").get_json()
    suffix = "" if bom is None else f"&bom={bom}"
    response = get(f"/api/v1/analytics.csv?{QUERY}{suffix}")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf") == (bom == "1")
    rows = csv_rows(response.data.decode("utf-8-sig"))
    assert rows[0] == [header["name"] for header in body["headers"]]
    assert rows[1:] == [["" if v is None else str(v) for v in row] for row in body["rows"]]
    for fields, values in zip(rows[1:], body["rows"], strict=True):
        value = values[-2]
        if value is not None:
            assert type(value)(fields[-2]) == value  # the text reads back as the number


def test_bom_is_for_the_csv_only_and_takes_one_or_zero(get):
    bad = get(f"/api/v1/analytics.csv?{QUERY}&bom=yes")
    assert bad.status_code == 422
    assert [e["field"] for e in bad.get_json()["errors"]] == ["bom"]
    assert get(f"/api/v1/analytics.xlsx?{QUERY}&bom=1").status_code == 422
    assert get(f"/api/v1/analytics?{QUERY}&bom=1").status_code == 422


def test_xlsx_is_refused_to_clinic_staff_and_audited(get, app, db_session):
    assert get(f"/api/v1/analytics.xlsx?{QUERY}", username="clinic-bishkek").status_code == 403
    before = db_session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert get(f"/api/v1/analytics.xlsx?{QUERY}").status_code == 200
    event = db_session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.id != (before.id if before else None)
    assert (event.action, event.entity) == ("read", "analytics")


def test_the_dhis2_face_gives_the_grid_as_a_workbook_and_csv_with_a_bom(get, app):
    app.config["SUPPRESSION_THRESHOLD"] = 1
    query = "dimension=dx:REG_CLIENTS;REG_PER_100K,pe:2003,ou:KG;LEVEL-2&includeNumDen=true"
    grid = get(f"/api/analytics?{query}").get_json()
    rows = workbook_rows(get(f"/api/analytics.xlsx?{query}"))
    assert [c.value for c in rows[0]][:4] == ["Indicator", "Period", "Org unit", "Value"]
    numeric = [header["valueType"] == "NUMBER" for header in grid["headers"]]
    assert len(rows) == len(grid["rows"]) + 1
    decimals = 0
    for cells, texts in zip(rows[1:], grid["rows"], strict=True):
        for cell, text, is_number in zip(cells, texts, numeric, strict=True):
            if not is_number:
                assert (cell.data_type, cell.value) == ("s", text)
            elif text == "":
                assert cell.value is None
            else:
                assert cell.data_type == "n" and cell.value == float(text)
                decimals += "." in text
    assert decimals  # a rate per 100,000 with decimals among them
    with_bom = get(f"/api/analytics.csv?{query}&bom=1")
    assert with_bom.data.startswith(b"\xef\xbb\xbf")
    plain = get(f"/api/analytics.csv?{query}")
    assert with_bom.data[3:] == plain.data
    assert csv_rows(plain.get_data(as_text=True))[1:] == grid["rows"]
