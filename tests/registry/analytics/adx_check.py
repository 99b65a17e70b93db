"""What a DHIS2 instance checks when it imports our ADX, checked here on every ADX answer.

* :func:`schema_errors`: the IHE ADX schema (``adx_schema/adx_loose.xsd`` with SDMX
  common, vendored with their licences: ``adx_schema/README.md``).
* :func:`import_errors`: DHIS2's ADX import (``DefaultAdxDataService`` in dhis2-core)
  against our metadata package: the group's ``dataSet`` and ``orgUnit`` by code, each
  value's ``dataElement`` by code, then *every* category of the data element's combo as
  an attribute named by the category code whose value is an option code of that
  category (else DHIS2 refuses the value: "Category combo ... must have ..."); an
  attribute naming no category of the combo is a value DHIS2 could not place either.

``tests/conftest.py`` runs both on every ``application/adx+xml`` answer of the suite.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import xmlschema

from registry.analytics.formats import ADX_NAMESPACE

SCHEMA = Path(__file__).parent / "adx_schema" / "adx_loose.xsd"
ADX_MIMETYPE = "application/adx+xml"


@functools.cache
def adx_schema() -> xmlschema.XMLSchema:
    """The IHE ADX schema (loaded once: about three seconds)."""
    return xmlschema.XMLSchema(str(SCHEMA))


def schema_errors(body: bytes) -> list[str]:
    """The schema's reasons for refusing ``body`` (empty if valid). A body already
    checked is not validated again (the same answer on the other database backend: the
    schema sees only the bytes; the largest answers take seconds)."""
    return list(_schema_errors(body))


@functools.lru_cache(maxsize=64)
def _schema_errors(body: bytes) -> tuple[str, ...]:
    return tuple(str(error.reason) for error in adx_schema().iter_errors(io.BytesIO(body)))


def import_errors(body: bytes, package: dict[str, Any], *, org_units: bool = True) -> list[str]:
    """Why DHIS2 with ``package`` imported could not place each value (empty if none).

    ``org_units=False`` skips the org-unit check (for a package built without units).
    """
    data_sets = {d["code"]: d for d in package["dataSets"]}
    units = {u["code"]: u["id"] for u in package["organisationUnits"]}
    elements = {e["code"]: e for e in package["dataElements"]}
    combos = {c["id"]: c for c in package["categoryCombos"]}
    categories = {c["id"]: c for c in package["categories"]}
    options = {o["id"]: o["code"] for o in package["categoryOptions"]}
    errors: list[str] = []
    root = ElementTree.fromstring(body)  # noqa: S314  (our own answer)
    for group in root.iter(f"{{{ADX_NAMESPACE}}}group"):
        data_set = data_sets.get(group.get("dataSet"))
        if data_set is None:
            errors.append(f"no data set coded {group.get('dataSet')}")
            continue
        unit = units.get(group.get("orgUnit"))
        if org_units and (
            unit is None or {"id": unit} not in data_set["organisationUnits"]
        ):  # fmt: skip
            errors.append(f"org unit {group.get('orgUnit')} not in the data set")
        for value in group.iter(f"{{{ADX_NAMESPACE}}}dataValue"):
            attributes = dict(value.attrib)
            code = attributes.pop("dataElement")
            attributes.pop("value")
            element = elements.get(code)
            if element is None:
                errors.append(f"no data element coded {code}")
                continue
            members = {member["dataElement"]["id"] for member in data_set["dataSetElements"]}
            if element["id"] not in members:
                errors.append(f"{code} is not in the data set")
            combo = combos.get(element["categoryCombo"]["id"])
            wanted = {}
            for reference in combo["categories"] if combo else []:
                category = categories[reference["id"]]
                wanted[category["code"]] = {options[o["id"]] for o in category["categoryOptions"]}
            if set(attributes) != set(wanted):
                errors.append(f"{code}: attributes {sorted(attributes)}, combo {sorted(wanted)}")
                continue
            for name, option in attributes.items():
                if option not in wanted[name]:
                    errors.append(f"{code}: {name}={option} is no option of {name}")
    return errors


def record_adx_errors(response: Any, package: dict[str, Any]) -> list[str]:
    """Both checks on one Flask response if it is an ADX document (else nothing)."""
    if response.mimetype != ADX_MIMETYPE or response.status_code != 200:
        return []
    body = response.get_data()
    return schema_errors(body) + import_errors(body, package, org_units=False)
