"""``/api/analytics``: DHIS2's response shape and parameters, over HTTP, on the small registry.

Compared with dhis2-core's ``HeaderHandler``/``ListGrid``/``MetadataHandler``: headers
with name, column, valueType, type, hidden and meta; ``headerWidth``; rows of strings with
the value last; ``co`` only when asked; ``metaData.items`` naming dx, pe, ou and relative
periods; ``metaData.dimensions`` always with ``co``. Values are those of the native API.
"""

from __future__ import annotations

import csv
import io
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from registry.analytics.dhis2_ids import CATEGORIES, DEFAULT_COMBO, uid
from registry.analytics.periods import parse_period
from registry.auth.tokens import create_token
from registry.models import AuditEvent

SEX = CATEGORIES["sex"]
TEXT = {"valueType": "TEXT", "type": "java.lang.String", "hidden": False, "meta": True}


@pytest.fixture
def app_config() -> dict:
    return {"SUPPRESSION_THRESHOLD": 1}


@pytest.fixture
def get(client, small_registry, actor, db_session):
    """``get(path, username="ministry") -> response`` with an ``ApiToken`` header."""
    secrets: dict[str, str] = {}

    def fetch(path: str, username: str = "ministry"):
        if username not in secrets:
            secrets[username] = create_token(actor(username), "dhis2 test")[1]
            db_session.commit()
        return client.get(path, headers={"Authorization": f"ApiToken {secrets[username]}"})

    return fetch


def test_headers_rows_and_sizes_are_dhis2s(get):
    response = get("/api/analytics?dimension=dx:TDI_ENTRANTS,pe:2003,ou:KG-GB;KG-GO")
    assert response.status_code == 200
    grid = response.get_json()
    assert grid["headers"] == [
        {"name": "dx", "column": "Data", **TEXT},
        {"name": "pe", "column": "Period", **TEXT},
        {"name": "ou", "column": "Organisation unit", **TEXT},
        {"name": "value", "column": "Value", "valueType": "NUMBER", "type": "java.lang.Double",
         "hidden": False, "meta": False},
    ]  # fmt: skip
    dx, gb, go = uid("dx", "TDI_ENTRANTS"), uid("ou", "KG-GB"), uid("ou", "KG-GO")
    assert grid["rows"] == [[dx, "2003", gb, "2"], [dx, "2003", go, "2"]]  # A, B; C, D
    assert (grid["width"], grid["headerWidth"], grid["height"]) == (4, 4, 2)
    meta = grid["metaData"]
    assert meta["dimensions"] == {"dx": [dx], "pe": ["2003"], "ou": [gb, go], "co": []}
    assert meta["items"][dx]["code"] == "TDI_ENTRANTS"
    assert meta["items"][gb]["name"] == "Bishkek city"
    assert meta["items"]["2003"]["name"] == "2003"
    assert {meta["items"][key]["name"] for key in ("dx", "pe", "ou")} == {
        "Data", "Period", "Organisation unit"}  # fmt: skip


def test_the_comma_form_and_repeated_dimensions_give_the_same_grid(get):
    comma = get("/api/analytics?dimension=dx:TDI_ENTRANTS;REG_CLIENTS,pe:2003,ou:KG").get_json()
    repeated = get("/api/analytics?dimension=dx:TDI_ENTRANTS;REG_CLIENTS&dimension=pe:2003"
                   "&dimension=ou:KG").get_json()  # fmt: skip
    assert comma == repeated
    assert len(comma["rows"]) == 2


def test_values_are_the_native_published_values_and_withheld_cells_are_left_out(get, app):
    app.config["SUPPRESSION_THRESHOLD"] = 2  # the small registry's ones are withheld
    query = "dx=TDI_ENTRANTS;REG_CLIENTS;OST_CLIENTS&pe=2003&ou=KG;LEVEL-2&dimension=sex"
    native = get(f"/api/v1/analytics?{query}").get_json()
    assert native["headers"][-1]["name"] == "status"  # the native face keeps its status
    withheld = [row for row in native["rows"] if row[-1] != "ok"]
    assert withheld
    published = {
        (uid("dx", r[0]), r[1], uid("ou", r[2]), SEX.option_uid(r[3])): str(r[4])
        for r in native["rows"]
        if r[-1] == "ok"
    }
    grid = get("/api/analytics?dimension=dx:TDI_ENTRANTS;REG_CLIENTS;OST_CLIENTS"
               f",pe:2003,ou:KG;LEVEL-2,{SEX.uid}").get_json()  # fmt: skip
    assert {tuple(row[:4]): row[4] for row in grid["rows"]} == published
    assert all(isinstance(cell, str) for row in grid["rows"] for cell in row)


def test_co_comes_only_when_asked_and_names_every_combo(get):
    plain = get("/api/analytics?dimension=dx:TDI_ENTRANTS_DRUG;EST_USERS,pe:2003,ou:KG")
    rows = plain.get_json()["rows"]
    # without co a breakdown answers with its total (TDI_ENTRANTS: A, B, C, D) once
    assert rows == [[uid("dx", "TDI_ENTRANTS_DRUG"), "2003", uid("ou", "KG"), "4"],
                    [uid("dx", "EST_USERS"), "2003", uid("ou", "KG"), "20"]]  # fmt: skip
    grid = get("/api/analytics?dimension=dx:TDI_ENTRANTS_DRUG;EST_USERS,pe:2003,ou:KG,co"
               "&outputIdScheme=CODE").get_json()  # fmt: skip
    assert [h["name"] for h in grid["headers"]] == ["dx", "pe", "ou", "co", "value"]
    keys = [tuple(row[:4]) for row in grid["rows"]]
    assert len(keys) == len(set(keys))
    by_combo = {grid["metaData"]["items"][row[3]]["name"]: row[4] for row in grid["rows"]
                if row[0] == "TDI_ENTRANTS_DRUG"}  # fmt: skip
    assert by_combo["Male, Opioids"] == "2"  # A and C: heroin (TDI group 1)
    assert by_combo["Female, Stimulants other than cocaine"] == "1"  # B: methamphetamine
    assert sorted(grid["metaData"]["dimensions"]["co"]) == sorted({row[3] for row in grid["rows"]})
    assert ["EST_USERS", "2003", "KG", DEFAULT_COMBO, "20"] in grid["rows"]


def test_relative_periods_user_org_unit_and_client_flags(get):
    query = ("dimension=dx:REG_CLIENTS&dimension=pe:MONTHS_LAST_YEAR;QUARTERS_THIS_YEAR"
             "&dimension=ou:USER_ORGUNIT&relativePeriodDate=2004-02-10&displayProperty=NAME"
             "&paging=false&ignoreLimit=true&outputIdScheme=CODE")  # fmt: skip
    grid = get(f"/api/analytics?{query}").get_json()
    periods = [row[1] for row in grid["rows"]]
    assert periods == [f"2003{m:02d}" for m in range(1, 13)] + ["2004Q1", "2004Q2", "2004Q3",
                                                                "2004Q4"]  # fmt: skip
    assert {row[2] for row in grid["rows"]} == {"KG"}
    items = grid["metaData"]["items"]
    assert items["MONTHS_LAST_YEAR"]["name"] == "Months last year"
    assert items["200302"]["name"] == "February 2003"
    assert items["2004Q1"]["name"] == "January - March 2004"
    skipped = get(f"/api/analytics?{query}&skipMeta=true").get_json()
    assert "metaData" not in skipped and skipped["rows"] == grid["rows"]


@pytest.mark.parametrize(
    ("name", "today", "first", "last", "count"),
    [("LAST_6_MONTHS", "2004-02-10", "200308", "200401", 6),
     ("MONTHS_THIS_YEAR", "2004-02-10", "200401", "200412", 12),
     ("QUARTERS_LAST_YEAR", "2004-02-10", "2003Q1", "2003Q4", 4)],
)  # fmt: skip
def test_dhis2_relative_periods(name, today, first, last, count):
    from datetime import date

    periods = [p.iso for p in parse_period(name, today=date.fromisoformat(today))]
    assert (periods[0], periods[-1], len(periods)) == (first, last, count)


def test_org_unit_groups_levels_under_a_unit_and_filters(get):
    group = uid("organisationUnitGroup", "narcological_dispensary")
    grid = get(f"/api/analytics?dimension=dx:TDI_ENTRANTS,pe:2003,ou:OU_GROUP-{group}"
               "&outputIdScheme=CODE").get_json()  # fmt: skip
    assert [row[2] for row in grid["rows"]] == ["KG-GB", "KG-GO"]  # where RNC and OSH are
    assert grid["metaData"]["items"][group]["name"] == "Narcological dispensary"
    level = get("/api/analytics?dimension=dx:TDI_ENTRANTS,pe:2003,ou:LEVEL-2-KG"
                "&outputIdScheme=CODE").get_json()  # fmt: skip
    assert [row[2] for row in level["rows"]] == ["KG-C", "KG-GB", "KG-GO", "KG-O"]
    filtered = get(
        "/api/analytics?dimension=dx:TDI_ENTRANTS,ou:KG-GB;KG-GO&filter=pe:2003"
        f"&filter={SEX.uid}:{SEX.option_uid('F')}&outputIdScheme=CODE"
    ).get_json()
    assert [h["name"] for h in filtered["headers"]] == ["dx", "ou", "value"]
    assert filtered["rows"] == [["TDI_ENTRANTS", "KG-GB", "1"], ["TDI_ENTRANTS", "KG-GO", "1"]]


def test_include_num_den_shows_what_a_percentage_was_worked_out_from(get):
    grid = get("/api/analytics?dimension=dx:HIV_PWID_PREVALENCE,pe:2003,ou:KG"
               "&includeNumDen=true&outputIdScheme=CODE").get_json()  # fmt: skip
    assert [h["name"] for h in grid["headers"]][-6:] == [
        "value", "numerator", "denominator", "factor", "multiplier", "divisor"]  # fmt: skip
    # C positive, A and C tested in 2003 among people who inject (A, C; D injected before)
    (row,) = grid["rows"]
    value, numerator, denominator, factor = row[3:7]
    assert float(value) == pytest.approx(100 * int(numerator) / int(denominator), abs=0.05)
    assert factor == "100"


def test_csv_and_xml_carry_the_same_grid(get):
    query = "dimension=dx:TDI_ENTRANTS,pe:2003,ou:KG-GB;KG-GO&outputIdScheme=CODE"
    grid = get(f"/api/analytics.json?{query}").get_json()
    response = get(f"/api/analytics.csv?{query}")
    assert response.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert lines[0] == ["Data", "Period", "Organisation unit", "Value"]
    assert lines[1:] == grid["rows"]
    xml = ElementTree.fromstring(get(f"/api/analytics.xml?{query}").data)  # noqa: S314
    assert [h.get("column") for h in xml.find("headers")] == lines[0]
    assert [[f.text for f in row] for row in xml.find("rows")] == grid["rows"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("dimension=dx:TDI_ENTRANTS,pe:2003,ou:KG&format=json", "format"),
     ("dimension=dx:TDI_ENTRANTS,ou:KG&filter=pe:2003;2004", "filter"),
     ("dimension=dx:TDI_ENTRANTS,pe:2003&filter=ou:LEVEL-2", "filter"),
     ("dimension=dx:TDI_ENTRANTS,pe:2003&filter=ou:USER_ORGUNIT_CHILDREN", "filter"),
     ("dimension=dx:TDI_ENTRANTS,ou:KG&filter=pe:LAST_5_YEARS", "filter"),
     ("dimension=dx:NOPE,pe:2003,ou:KG", "dimension"),
     ("dimension=dx:TDI_ENTRANTS,pe:2003,ou:KG&skipMeta=maybe", "skipMeta"),
     ("dimension=dx:TDI_ENTRANTS,pe:2003,ou:KG&outputIdScheme=ID", "outputIdScheme"),
     ("dimension=dx:TDI_ENTRANTS,pe:2003,ou:OU_GROUP-nope", "dimension"),
     ("dimension=dx:TDI_ENTRANTS,pe:2003,ou:KG,xx:1", "dimension")],
)  # fmt: skip
def test_bad_parameters_are_a_422_naming_the_parameter(get, app, query, field):
    response = get(f"/api/analytics?{query}")
    assert response.status_code == 422
    assert [error["field"] for error in response.get_json()["errors"]] == [field]


def test_only_analytics_roles_get_an_answer_and_every_answer_is_audited(get, client, app):
    query = "/api/analytics?dimension=dx:TDI_ENTRANTS,pe:2003,ou:KG"
    assert get(query, "clinic-bishkek").status_code == 403
    assert get("/api/me", "clinic-bishkek").status_code == 403
    assert client.get(query).status_code == 401
    assert client.get("/api/me").status_code == 401
    for username in ("ministry", "epi", "admin"):
        assert get(query, username).status_code == 200
    with app.app_context():
        reads = select(func.count()).where(AuditEvent.action == "read",
                                           AuditEvent.entity == "analytics")  # fmt: skip
        assert app.extensions["sqlalchemy"].session.scalar(reads) == 3


def test_me_answers_the_fields_asked_for(get):
    me = get("/api/me?fields=id,username").get_json()
    assert set(me) == {"id", "username"} and me["username"] == "ministry"
    full = get("/api/me").get_json()
    assert full["organisationUnits"][0]["code"] == "KG"
    assert get("/api/me?paging=false").status_code == 422


def test_errors_are_in_russian_on_request(client, small_registry, actor, db_session):
    secret = create_token(actor("ministry"), "ru")[1]
    db_session.commit()
    headers = {"Authorization": f"ApiToken {secret}", "Accept-Language": "ru"}
    query = "dimension=dx:TDI_ENTRANTS,ou:KG&filter=pe:2003;2004"
    response = client.get(f"/api/analytics?{query}", headers=headers)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["detail"] == (
        "Фильтр здесь принимает ровно один элемент."
    )


def test_uids_are_dhis2_uids_unique_and_the_same_on_every_install():
    import re
    from itertools import product

    from registry.analytics.dhis2_ids import categories_of, combo_uid
    from registry.analytics.indicators import INDICATORS

    uids = [uid("dx", code) for code in INDICATORS]
    for category in CATEGORIES.values():
        uids += [category.uid] + [category.option_uid(o) for o in category.options]
    combos = set()  # a combo belongs to its category combo, which data elements share
    for indicator in INDICATORS.values():
        options = product(*(c.options for c in categories_of(indicator)))
        combos |= {combo_uid(indicator, chosen) for chosen in options}
    uids += sorted(combos)
    # sex (M, F, U) x age, sex x each TDI item (drug, route, injecting, polydrug), default
    assert len(combos) == 3 * 12 + 3 * (9 + 6 + 7 + 3) + 1
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9]{10}", value) for value in uids)
    assert len(set(uids)) == len(uids)
    # a DHIS2 instance that imported these once must keep matching: never change them
    assert uid("dx", "REG_CLIENTS") == "zKbP1BautCw"
    assert uid("ou", "KG") == "oULzfWaIFbD"


@pytest.mark.parametrize(
    ("language", "unit", "indicator", "rule"),
    [(None, "Bishkek city", "Treatment entrants, all", "counts 1-0 withheld"),
     ("ru", "г. Бишкек", "Начавшие лечение, все", "числа от 1 до 0 скрыты")],
)  # fmt: skip
def test_one_language_throughout_english_by_default_for_tokens(
    client, small_registry, actor, db_session, language, unit, indicator, rule
):
    secret = create_token(actor("ministry"), "language")[1]
    db_session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    if language:
        headers["Accept-Language"] = language
    native = client.get("/api/v1/analytics?dx=TDI_ENTRANTS&pe=2003&ou=KG-GB", headers=headers)
    meta = native.get_json()["metaData"]
    assert (meta["items"]["KG-GB"]["name"], meta["items"]["TDI_ENTRANTS"]["name"]) == (
        unit,
        indicator,
    )
    assert meta["suppression"]["rule"].startswith(rule)
    grid = client.get("/api/analytics?dimension=dx:TDI_ENTRANTS,pe:2003,ou:KG-GB",
                      headers=headers).get_json()  # fmt: skip
    items = grid["metaData"]["items"]
    assert items[uid("ou", "KG-GB")]["name"] == unit
    assert items[uid("dx", "TDI_ENTRANTS")]["name"] == indicator
