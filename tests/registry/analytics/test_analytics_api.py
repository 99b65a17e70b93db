"""``/api/v1/analytics``: JSON, CSV and ADX over HTTP; who may ask; bad input; audit."""

from __future__ import annotations

import csv
import io
import re
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from registry.analytics.formats import ADX_DATA_SET, ADX_NAMESPACE
from registry.models import AuditEvent

QUERY = "dx=TDI_ENTRANTS;REG_CLIENTS&pe=2003;2003Q4&ou=KG;LEVEL-2&dimension=sex"
#: ISO 8601 start/duration, as ADX wants the period
ADX_PERIOD = re.compile(r"^\d{4}-\d{2}-\d{2}/P(1Y|[1-9]\d*M)$")


@pytest.fixture
def app_config() -> dict:
    return {"SUPPRESSION_THRESHOLD": 1}


def test_json_rows_headers_and_metadata(client, token):
    response = client.get(f"/api/v1/analytics?{QUERY}", headers=token("ministry"))
    assert response.status_code == 200
    body = response.get_json()
    assert [h["name"] for h in body["headers"]] == ["dx", "pe", "ou", "sex", "value", "status"]
    rows = {tuple(row[:4]): row[4] for row in body["rows"]}
    assert rows[("TDI_ENTRANTS", "2003", "KG-GB", "M")] == 1  # A (B is a woman)
    assert rows[("REG_CLIENTS", "2003Q4", "KG-GO", "M")] == 1  # C
    assert ("TDI_ENTRANTS", "2003", "KG", "M") not in rows  # LEVEL-2 under KG, not KG
    assert body["metaData"]["dimensions"]["ou"] == ["KG-C", "KG-GB", "KG-GO", "KG-O"]
    assert body["metaData"]["items"]["2003Q4"]["endDate"] == "2003-12-31"


def test_dimension_syntax_and_relative_periods(client, token):
    query = ("dimension=dx:TDI_ENTRANTS&dimension=pe:LAST_YEAR&dimension=ou:KG"
             "&dimension=SEX:F&relativePeriodDate=2004-06-30")  # fmt: skip
    body = client.get(f"/api/v1/analytics?{query}", headers=token("epi")).get_json()
    assert body["rows"] == [["TDI_ENTRANTS", "2003", "KG", "F", 2, "ok"]]  # B and D


def test_csv(client, token):
    response = client.get(f"/api/v1/analytics.csv?{QUERY}", headers=token("admin"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_key = {(r["dx"], r["pe"], r["ou"], r["sex"]): r for r in rows}
    assert by_key[("TDI_ENTRANTS", "2003", "KG-GO", "F")]["value"] == "1"  # D


def test_adx_has_what_a_dhis2_import_requires(client, token):
    query = "dx=TDI_ENTRANTS;TDI_ENTRANTS_ROUTE&pe=2003&ou=KG&dimension=sex&dimension=age"
    response = client.get(f"/api/v1/analytics.adx?{query}", headers=token("ministry"))
    assert response.status_code == 200
    assert response.mimetype == "application/adx+xml"
    root = ElementTree.fromstring(response.data)  # noqa: S314  (our own answer)
    ns = {"adx": ADX_NAMESPACE}
    assert root.tag == f"{{{ADX_NAMESPACE}}}adx"
    assert root.get("exported")
    groups = root.findall("adx:group", ns)
    assert len(groups) == 1
    group = groups[0]
    assert group.get("dataSet") == ADX_DATA_SET
    assert group.get("orgUnit") == "KG"
    assert ADX_PERIOD.match(group.get("period")) and group.get("period") == "2003-01-01/P1Y"
    values = group.findall("adx:dataValue", ns)
    assert values and all(v.get("dataElement") and v.get("value") for v in values)
    # category codes as attributes, DHIS2 option codes (category code + TDI code) as values
    entrants = {(v.get("SEX"), v.get("AGE")): v.get("value") for v in values
                if v.get("dataElement") == "TDI_ENTRANTS"}  # fmt: skip
    assert entrants[("SEX_F", "AGE_<15")] == "1"  # B, aged 12
    men = [v for v in values if v.get("SEX") == "SEX_M"]
    routes = {v.get("ROUTE"): v.get("value") for v in men
              if v.get("dataElement") == "TDI_ENTRANTS_ROUTE"}  # fmt: skip
    assert routes["ROUTE_1"] == "2"  # A and C inject


def test_adx_periods_of_quarters_and_months(client, token):
    query = "dx=REG_CLIENTS&pe=2003Q3;200312;2003S2&ou=KG"
    answer = client.get(f"/api/v1/analytics.adx?{query}", headers=token("ministry"))
    root = ElementTree.fromstring(answer.data)  # noqa: S314  (our own answer)
    periods = {g.get("period") for g in root.iter(f"{{{ADX_NAMESPACE}}}group")}
    assert periods == {"2003-07-01/P3M", "2003-12-01/P1M", "2003-07-01/P6M"}


def test_who_may_ask(client, token):
    assert client.get(f"/api/v1/analytics?{QUERY}").status_code == 401
    assert (
        client.get(f"/api/v1/analytics?{QUERY}", headers=token("clinic-bishkek")).status_code == 403
    )
    for user in ("ministry", "epi", "admin"):
        assert client.get(f"/api/v1/analytics?{QUERY}", headers=token(user)).status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("dx=NOPE&pe=2003&ou=KG", "dx"),
        ("pe=2003&ou=KG", "dx"),
        ("dx=REG_CLIENTS&pe=2003-01-01&ou=KG", "pe"),
        ("dx=REG_CLIENTS&pe=2003&ou=XX", "ou"),
        ("dx=REG_CLIENTS&pe=2003&ou=KG&dimension=SEX:X", "dimension"),
        ("dx=REG_CLIENTS&pe=2003&ou=KG&dimension=drug", "dimension"),
        ("dx=REG_CLIENTS&pe=THIS_YEAR&ou=KG&relativePeriodDate=soon", "relativePeriodDate"),
        (
            "dx=REG_CLIENTS&pe=LAST_10_YEARS&ou=KG&relativePeriodDate=0001-01-01",
            "relativePeriodDate",
        ),
        # no arbitrary date ranges: whole periods only
        ("dx=REG_CLIENTS&pe=2003&ou=KG&startDate=2003-01-01", "startDate"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(client, token, query, field):
    response = client.get(f"/api/v1/analytics?{query}", headers=token("ministry"))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in {error["field"] for error in response.get_json()["errors"]}


def test_every_answer_is_audited_with_codes_only(client, token, db_session):
    client.get(f"/api/v1/analytics?{QUERY}", headers=token("ministry"))
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.entity == "analytics")).all()
    assert len(events) == 1
    assert events[0].username == "ministry" and events[0].action == "read"
    assert events[0].detail.startswith("dx=TDI_ENTRANTS,REG_CLIENTS;pe=2003,2003Q4;ou=KG-C")


def test_an_unknown_indicator_is_named_in_the_message(client, token):
    response = client.get(
        "/api/v1/analytics?dx=TDI_ENTRANTS;NOPE;HIV_TESTS&pe=2003&ou=KG", headers=token("ministry")
    )
    assert response.status_code == 422
    (error,) = response.get_json()["errors"]
    assert error["field"] == "dx"
    assert "NOPE, HIV_TESTS" in error["detail"] and "TDI_ENTRANTS" not in error["detail"]
