"""ADX that DHIS2 imports, and the metadata package it imports with (issue 15, part 2).

Every ADX answer validates against the IHE schema (``adx_schema/``) and every value lands
on one category option combo of our metadata package, as DHIS2's ADX import resolves it
(:mod:`tests.registry.analytics.adx_check`; ``tests/conftest.py`` also checks every other
ADX answer of the suite). An answer with nothing to publish is a problem response, never
an empty ``<adx/>``. The package is checked for what DHIS2 requires of metadata: every
referenced UID exists, codes and names are unique, option codes unique across categories,
and each combo's option combos are the cartesian product of its categories' options.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from xml.etree import ElementTree

import pytest

from registry.analytics.dhis2_ids import (
    CATEGORIES,
    DEFAULT_CATEGORY_COMBO,
    categories_of,
    combo_uid,
    uid,
)
from registry.analytics.formats import ADX_NAMESPACE
from registry.analytics.indicators import INDICATORS, TOTAL
from tests.registry.analytics.adx_check import import_errors, schema_errors

SPLITS = ("", "&dimension=sex", "&dimension=age", "&dimension=sex&dimension=age")
#: DHIS2's own objects every instance has (the default category combo).
DHIS2_BUILT_IN = {DEFAULT_CATEGORY_COMBO}
#: DHIS2's UID pattern (CodeGenerator): a letter, then ten letters or digits.
UID = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
#: What DHIS2 accepts as a category code in ADX (an XML attribute name).
XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


@pytest.fixture
def app_config() -> dict:
    """Counts of 1 are withheld, so answers hold both published and withheld cells."""
    return {"SUPPRESSION_THRESHOLD": 2}


@pytest.fixture
def package(client, token) -> dict:
    response = client.get("/api/v1/dhis2/metadata.json", headers=token("ministry"))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _values(body: bytes) -> dict[tuple, str]:
    """``{(data element, org unit, period start, attributes...): value}`` of an ADX body."""
    root = ElementTree.fromstring(body)  # noqa: S314  (our own answer)
    values = {}
    for group in root.iter(f"{{{ADX_NAMESPACE}}}group"):
        for value in group.iter(f"{{{ADX_NAMESPACE}}}dataValue"):
            attributes = dict(value.attrib)
            element, number = attributes.pop("dataElement"), attributes.pop("value")
            key = (element, group.get("orgUnit"), group.get("period")[:4],
                   *sorted(attributes.items()))  # fmt: skip
            assert key not in values, key
            values[key] = number
    return values


@pytest.mark.parametrize("split", SPLITS)
def test_every_indicator_and_split_is_valid_adx_that_imports(client, token, package, split):
    dx = ";".join(INDICATORS)
    query = f"dx={dx}&pe=2003&ou=KG;LEVEL-2{split}"
    response = client.get(f"/api/v1/analytics.adx?{query}", headers=token("ministry"))
    assert response.status_code == 200
    assert response.mimetype == "application/adx+xml"
    assert schema_errors(response.data) == []
    assert import_errors(response.data, package) == []
    # the same cells as the native answer: every published value once, withheld ones never
    native = client.get(f"/api/v1/analytics?{query}", headers=token("ministry")).get_json()
    names = [header["name"] for header in native["headers"]]
    expected = {}
    for row in native["rows"]:
        cell = dict(zip(names, row, strict=True))
        if cell["value"] is None:
            continue
        indicator = INDICATORS[cell["dx"]]
        chosen = {"sex": cell.get("sex", TOTAL), "age": cell.get("age", TOTAL),
                  indicator.category: cell.get("co", TOTAL)}  # fmt: skip
        combo = categories_of(indicator)
        split_by = [(key, c) for key, c in CATEGORIES.items()
                    if c in combo and chosen.get(key, TOTAL) != TOTAL]  # fmt: skip
        element = cell["dx"] if len(split_by) == len(combo) else (
            f"{cell['dx']}_BY_" + "_".join(c.code for _k, c in split_by) if split_by
            else f"{cell['dx']}_TOTAL")  # fmt: skip
        attributes = sorted((c.code, c.option_code(chosen[k])) for k, c in split_by)
        expected[(element, cell["ou"], cell["pe"], *attributes)] = str(cell["value"])
    assert expected  # the answer publishes something
    assert any(row[-1] == "suppressed" for row in native["rows"])  # and withholds something
    assert _values(response.data) == expected


def test_each_data_element_always_carries_its_whole_combo(client, token, package):
    """The issue's example: ``TDI_ENTRANTS_DRUG`` came with ``drug``, or ``sex`` + ``drug``
    and totals with nothing, under one data element. Now each split is its own data
    element and every value of it carries the same categories."""
    seen: dict[str, set[frozenset]] = {}
    for split, ou in itertools.product(SPLITS, ("KG", "KG;LEVEL-2")):
        query = f"dx={';'.join(INDICATORS)}&pe=2003&ou={ou}{split}"
        body = client.get(f"/api/v1/analytics.adx?{query}", headers=token("epi")).data
        for key in _values(body):
            seen.setdefault(key[0], set()).add(frozenset(name for name, _ in key[3:]))
    assert all(len(sets) == 1 for sets in seen.values()), seen
    assert seen["TDI_ENTRANTS_DRUG"] == {frozenset({"SEX", "DRUG"})}
    assert seen["TDI_ENTRANTS_DRUG_BY_DRUG"] == {frozenset({"DRUG"})}
    totals = [code for code in seen if code.endswith("_TOTAL")]
    by_sex = [code for code in seen if code.endswith("_BY_SEX")]
    assert totals and all(seen[code] == {frozenset()} for code in totals)
    assert by_sex and all(seen[code] == {frozenset({"SEX"})} for code in by_sex)
    assert seen["EST_USERS"] == {frozenset()}  # the approved estimate, default combo
    elements = {e["code"]: e for e in package["dataElements"]}
    # the full-combo data element has the indicator's UID on /api/analytics
    assert elements["TDI_ENTRANTS_DRUG"]["id"] == uid("dx", "TDI_ENTRANTS_DRUG")


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        # a flow indicator asked for a quarter: counted by whole years only
        ("dx=TDI_ENTRANTS&pe=2003Q1&ou=KG", 422, "pe"),
        # no approved estimate for the area and period
        ("dx=EST_USERS;EST_PER_REG&pe=2004&ou=KG", 409, None),
        # every value withheld: A is the only man entering treatment at Bishkek's centre
        ("dx=TDI_ENTRANTS&pe=2003&ou=KG-GB&dimension=SEX:M", 409, None),
    ],
)
def test_nothing_to_publish_is_a_problem_not_an_empty_document(client, token, query, status,
                                                                field):  # fmt: skip
    native = client.get(f"/api/v1/analytics?{query}", headers=token("ministry")).get_json()
    assert all(row[-2] is None for row in native["rows"])  # nothing to publish indeed
    response = client.get(f"/api/v1/analytics.adx?{query}", headers=token("ministry"))
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["detail"]
    if field:
        assert field in {error["field"] for error in body["errors"]}


def test_the_metadata_package_is_consistent(package):
    objects = {kind: {o["id"]: o for o in items} for kind, items in package.items()}
    every_id = [o["id"] for items in package.values() for o in items]
    assert len(every_id) == len(set(every_id)) and all(UID.match(i) for i in every_id)

    def references(node):
        if isinstance(node, dict):
            if set(node) == {"id"}:
                yield node["id"]
            for value in node.values():
                yield from references(value)
        elif isinstance(node, list):
            for value in node:
                yield from references(value)

    known = set(every_id) | DHIS2_BUILT_IN
    assert [r for r in references(package) if r not in known] == []
    for kind, items in package.items():  # DHIS2: codes, names and short names are unique
        for key in ("code", "name", "shortName"):
            if kind == "categoryOptionCombos" and key != "code":
                continue  # option combos' names repeat across combos, as in DHIS2
            counts = Counter(o[key] for o in items if key in o)
            assert [v for v, n in counts.items() if n > 1] == [], (kind, key)
    assert all(len(o["shortName"]) <= 50 for items in package.values() for o in items
               if "shortName" in o)  # fmt: skip
    categories = objects["categories"]
    assert all(XML_NAME.match(c["code"]) for c in categories.values())
    # each combo's option combos are the cartesian product of its categories' options
    combos = objects["categoryCombos"]
    for combo_id, combo in combos.items():
        options = [categories[r["id"]]["categoryOptions"] for r in combo["categories"]]
        product = {tuple(r["id"] for r in choice) for choice in itertools.product(*options)}
        mine = [tuple(r["id"] for r in coc["categoryOptions"])
                for coc in package["categoryOptionCombos"]
                if coc["categoryCombo"]["id"] == combo_id]  # fmt: skip
        assert len(mine) == len(set(mine)) and set(mine) == product, combo["code"]
    # the UIDs are those of dhis2_ids, so /api/analytics and a DHIS2 import agree
    elements = {e["code"]: e for e in package["dataElements"]}
    assert set(INDICATORS) <= set(elements)
    assert elements["REG_CLIENTS"]["id"] == uid("dx", "REG_CLIENTS")
    assert {u["code"]: u["id"] for u in package["organisationUnits"]}["KG"] == uid("ou", "KG")
    assert uid("categoryOption", "DRUG:1") in objects["categoryOptions"]
    assert combo_uid(INDICATORS["REG_CLIENTS"], ("M", "15-19")) in (
        objects["categoryOptionCombos"])  # fmt: skip
    data_set = package["dataSets"][0]
    assert {r["dataElement"]["id"] for r in data_set["dataSetElements"]} == set(
        objects["dataElements"])  # fmt: skip
    assert {r["id"] for r in data_set["organisationUnits"]} == set(objects["organisationUnits"])


def test_option_codes_are_unique_though_tdi_codes_repeat(package):
    codes = [option["code"] for option in package["categoryOptions"]]
    assert len(codes) == len(set(codes))
    assert {"DRUG_1", "ROUTE_1", "INJECTING_1", "DRUG_99", "ROUTE_99", "SEX_M"} <= set(codes)
    # the native API keeps the TDI codes themselves
    assert CATEGORIES["drug"].options[0] == "1"


@pytest.mark.parametrize(("language", "sex"), [("ru", "Пол"), ("en", "Sex")])
def test_the_package_follows_the_language(client, token, language, sex):
    headers = {**token("ministry"), "Accept-Language": language}
    package = client.get("/api/v1/dhis2/metadata.json", headers=headers).get_json()
    assert {c["code"]: c["name"] for c in package["categories"]}["SEX"] == sex
    for kind in ("categoryOptions", "categories", "categoryCombos", "dataElements"):
        names = [o["name"] for o in package[kind]]
        assert len(names) == len(set(names)), kind  # DHIS2 wants them unique


def test_who_may_read_the_package(client, token):
    path = "/api/v1/dhis2/metadata.json"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=token("clinic-bishkek")).status_code == 403
    for user in ("ministry", "epi", "admin"):
        assert client.get(path, headers=token(user)).status_code == 200
    response = client.get(f"{path}?fields=*", headers=token("ministry"))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "fields"
