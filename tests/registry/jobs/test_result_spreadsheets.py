"""Study results as XLSX and CSV: every cell against the JSON result, roles, audit.

A capture-recapture model search, a multiplier with a typed benchmark and a projection
run as the worker runs them. Their XLSX (API and result page) is opened with openpyxl and
their CSV (with and without ``bom=1``) is read; each value must be the JSON result's, laid
out as the method lays out its rows: numbers as number cells, empty values empty, text as
text (never a formula). Only epidemiologists and admins get either file, whether or not
the result is approved, and each download is an audited read.
"""

from __future__ import annotations

import csv
import io
import json

import flask_babel
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from registry.auth.tokens import create_token
from registry.extensions import db
from registry.models import AuditEvent, EstimationJob, User
from registry.services.methods import METHODS
from registry.spreadsheets import DECIMAL_FORMAT, FORMULA_START, XLSX_MIMETYPE
from registry.study_downloads import COLUMN_LABELS
from tests.registry.web import study_fixtures
from tests.registry.web.conftest import AuthActions
from tests.registry.web.study_fixtures import run_job

study_records = study_fixtures.study_records  # the fixture: a finished model search

STUDY = {"period": "2003", "area_code": "KG", "lists": []}
#: A survey label a spreadsheet would run as a formula if it were written as one.
FORMULA = '=HYPERLINK("http://example.org","x")'


@pytest.fixture
def jobs(app, api, study_records) -> dict[str, int]:
    """``{method: job id}`` of three finished studies."""
    created = {"capture_recapture": study_records.job_id}
    for method, parameters in (
        ("multiplier", {"benchmark": 1505, "surveys": [
            {"label": FORMULA, "in_benchmark": 100, "sample_size": 400},
            {"label": "NGO", "in_benchmark": 140, "sample_size": 380, "design_effect": 1.5}]}),
        ("projection", {"base": 5600, "base_low": 5000, "base_high": 6100, "horizon": 2}),
    ):  # fmt: skip
        response = api.post("/api/jobs", json={**STUDY, "method": method, "parameters": parameters})
        assert response.status_code == 202, response.json
        created[method] = response.json["id"]
        with app.app_context():
            run_job(response.json["id"])
    return created


def expected_rows(api, job_id: int) -> tuple[list[str], list[list]]:
    """The columns (in the CSV header's order) and the cells the method lays out from the
    JSON result (whose keys the JSON answer sorts)."""
    payload = api.get(f"/api/jobs/{job_id}/result").json["payload"]
    method = METHODS[payload["method"]]
    rows = method.rows(method.read(payload))
    header = api.get(f"/api/jobs/{job_id}/result.csv").get_data(as_text=True).split("\n")[0]
    columns = header.split(",")
    assert set(columns) == {key for row in rows for key in row}
    return columns, [[row.get(column) for column in columns] for row in rows]


def sheet_of(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLSX_MIMETYPE
    return load_workbook(io.BytesIO(response.data)).worksheets[0]


def assert_cell_is(cell, value) -> None:
    if value is None or value == "":
        assert cell.value is None
    elif isinstance(value, bool):
        assert (cell.data_type, cell.value) == ("b", value)
    elif isinstance(value, int | float):
        assert cell.data_type == "n" and cell.value == pytest.approx(value, rel=1e-15)
        assert cell.number_format == (DECIMAL_FORMAT if isinstance(value, float) else "General")
    else:
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
        assert (cell.data_type, cell.value) == ("s", text)


@pytest.mark.parametrize("method", ["capture_recapture", "multiplier", "projection"])
@pytest.mark.parametrize("path", ["/api/jobs/{}/result.xlsx", "/studies/jobs/{}/result.xlsx"])
def test_the_workbook_holds_every_value_of_the_json_result(api, jobs, method, path):
    columns, rows = expected_rows(api, jobs[method])
    sheet = sheet_of(api.get(path.format(jobs[method])))
    cells = list(sheet.iter_rows())
    assert len(cells) == len(rows) + 1
    assert len(cells[0]) == len(columns)
    for row_cells, values in zip(cells[1:], rows, strict=True):
        for cell, value in zip(row_cells, values, strict=True):
            assert_cell_is(cell, value)
    kinds = {type(value) for row in rows for value in row}
    assert {int, float, str} <= kinds  # every kind of cell was checked


def test_text_is_never_a_formula(api, jobs):
    sheet = sheet_of(api.get(f"/api/jobs/{jobs['multiplier']}/result.xlsx"))
    labels = [cell for row in sheet.iter_rows() for cell in row if cell.value == FORMULA]
    assert labels and all(cell.data_type == "s" for cell in labels)


@pytest.mark.parametrize("bom", [None, "0", "1"])
@pytest.mark.parametrize("path", ["/api/jobs/{}/result.csv", "/studies/jobs/{}/result.csv"])
def test_the_csv_with_and_without_bom_holds_every_value(api, jobs, path, bom):
    for job_id in jobs.values():
        columns, rows = expected_rows(api, job_id)
        suffix = "" if bom is None else f"?bom={bom}"
        response = api.get(path.format(job_id) + suffix)
        assert response.status_code == 200
        assert response.data.startswith(b"\xef\xbb\xbf") == (bom == "1")
        lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        assert lines[0] == columns
        assert len(lines) == len(rows) + 1
        for fields, values in zip(lines[1:], rows, strict=True):
            for field, value in zip(fields, values, strict=True):
                if value is None:
                    assert field == ""
                elif isinstance(value, dict | list):
                    assert json.loads(field) == value
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    assert type(value)(field) == value
                elif str(value).startswith(FORMULA_START):
                    assert field == "'" + str(value)
                else:
                    assert field == str(value)


@pytest.mark.parametrize("path", ["/api/jobs/{}/result.csv", "/studies/jobs/{}/result.csv"])
def test_csv_text_is_never_a_formula(api, jobs, path):
    """A CSV cell has no type: text that starts like a formula gets a leading apostrophe."""
    text = api.get(path.format(jobs["multiplier"])).get_data(as_text=True)
    fields = [field for line in csv.reader(io.StringIO(text)) for field in line]
    assert "'" + FORMULA in fields
    assert not [field for field in fields if field.startswith(FORMULA_START) and not number(field)]


def number(field: str) -> bool:
    """Whether ``field`` is a number (a negative number starts like a formula, and is one)."""
    try:
        float(field)
    except ValueError:
        return False
    return True


def test_a_bad_bom_is_refused(api, jobs):
    job_id = jobs["projection"]
    response = api.get(f"/api/jobs/{job_id}/result.csv?bom=2")
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["bom"]
    assert api.get(f"/studies/jobs/{job_id}/result.csv?bom=2").status_code == 422


def test_headers_are_in_the_reader_s_language_and_every_column_has_one(app, api, jobs,
                                                                        registry_data):  # fmt: skip
    with app.app_context():
        epi = db.session.get(User, registry_data.users["epi"])
        _token, secret = create_token(epi, "spreadsheets")
        db.session.commit()
    token = {"Authorization": f"Bearer {secret}"}
    for job_id in jobs.values():
        columns, _rows = expected_rows(api, job_id)
        for header, accept in (("Estimate", "en"), ("Оценка", "ru")):
            flask_babel.refresh()
            sheet = sheet_of(api.get(f"/api/jobs/{job_id}/result.xlsx",
                                     headers={**token, "Accept-Language": accept}))  # fmt: skip
            labels = [cell.value for cell in next(sheet.iter_rows())]
            assert len(labels) == len(columns)
            if "abundance" in columns:
                assert labels[columns.index("abundance")] == header
            for column, label in zip(columns, labels, strict=True):
                base = column.rsplit("_", 1)[0] if column.endswith(("_6m", "_12m")) else column
                assert base in COLUMN_LABELS, column  # no column is left with its code
                assert label != column or column in ("AIC", "BIC")


def test_only_epidemiologists_and_admins_get_the_files_and_each_is_audited(
    app, api, jobs, registry_data
):
    job_id = jobs["projection"]  # not approved
    ministry = AuthActions(app.test_client(), registry_data.password)
    ministry.login("ministry")
    for path in (f"/api/jobs/{job_id}/result.xlsx", f"/studies/jobs/{job_id}/result.xlsx"):
        assert ministry.client.get(path).status_code == 403
        with app.app_context():
            before = db.session.scalar(select(db.func.max(AuditEvent.id)))
        assert api.get(path).status_code == 200
        with app.app_context():
            events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
            result_id = db.session.get(EstimationJob, job_id).result.id
        assert [(e.action, e.entity, e.entity_id) for e in events] == [
            ("read", "estimation_result", result_id)
        ]


def test_a_job_without_a_result_has_no_workbook(app, api, registry_data):
    created = api.post("/api/jobs", json={**STUDY, "method": "projection",
                                          "parameters": {"base": 10}})  # fmt: skip
    job_id = created.json["id"]
    assert api.get(f"/api/jobs/{job_id}/result.xlsx").status_code == 422
    assert api.get(f"/studies/jobs/{job_id}/result.xlsx").status_code == 404
