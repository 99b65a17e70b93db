"""The OpenAPI document gives each method's study parameters, generated from its schema.

Every field of every method module's ``Parameters`` (``registry.services.methods``, the
one source of defaults) must appear in the document with its default, its bounds and its
choices, under a ``POST /api/jobs`` body that is a ``oneOf`` on the ``method``
discriminator; a body the document refuses is one the server refuses too. The XLSX
downloads document their media type.
"""

from __future__ import annotations

from datetime import date

import pytest
from jsonschema import Draft202012Validator
from marshmallow import fields, missing
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from registry.schemas.base import Between, Choice, MaxLength
from registry.services.methods import METHODS
from registry.spreadsheets import XLSX_MIMETYPE
from tests.registry.api_access.conftest import bearer

pytestmark = pytest.mark.backend_neutral("the OpenAPI document is built from the schemas")


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def component_of(document: dict, method: str) -> dict:
    """The parameters schema the ``POST /api/jobs`` body gives ``method``."""
    body = document["paths"]["/api/jobs"]["post"]["requestBody"]["content"]["application/json"]
    study = body["schema"]["discriminator"]["mapping"][method]
    assert {"$ref": study} in body["schema"]["oneOf"]
    schemas = document["components"]["schemas"]
    (own,) = [part for part in schemas[study.rsplit("/", 1)[-1]]["allOf"] if "properties" in part]
    assert own["properties"]["method"] == {"const": method}
    return schemas[own["properties"]["parameters"]["$ref"].rsplit("/", 1)[-1]]


def expected_property(field: fields.Field) -> dict:
    """What the document must say of ``field``: default, bounds, choices, length."""
    expected = {}
    default = field.load_default
    if default is not missing:
        default = default() if callable(default) else default
        expected["default"] = default.isoformat() if isinstance(default, date) else default
    for validator in field.validators:
        if isinstance(validator, Between):
            expected.update(minimum=validator.low, maximum=validator.high)
        if isinstance(validator, Choice):
            expected["enum"] = list(validator.choices)
        if isinstance(validator, MaxLength):
            expected["maxLength"] = validator.limit
    return expected


@pytest.mark.parametrize("method", list(METHODS))
def test_every_parameter_appears_with_its_default_and_bounds(document, method):
    schema = component_of(document, method)
    parameters = METHODS[method].parameters()
    assert set(schema["properties"]) == set(parameters.fields)
    assert schema["additionalProperties"] is False  # unknown parameters are refused
    required = {name for name, field in parameters.fields.items() if field.required}
    assert set(schema.get("required", [])) == required
    for name, field in parameters.fields.items():
        documented = schema["properties"][name]
        for key, value in expected_property(field).items():
            assert documented.get(key) == value, (method, name, key)


def test_the_survey_schema_of_the_multiplier_has_its_bounds(document):
    surveys = component_of(document, "multiplier")["properties"]["surveys"]
    survey = document["components"]["schemas"][surveys["items"]["$ref"].rsplit("/", 1)[-1]]
    assert survey["properties"]["in_benchmark"]["minimum"] == 1
    assert survey["properties"]["design_effect"]["default"] == 1.0
    assert set(survey["required"]) == {"in_benchmark", "sample_size"}


def validator(document: dict, method: str) -> Draft202012Validator:
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource("doc", resource)
    name = document["paths"]["/api/jobs"]["post"]["requestBody"]["content"]["application/json"][
        "schema"]["discriminator"]["mapping"][method].rsplit("/", 1)[-1]  # fmt: skip
    return Draft202012Validator({"$ref": f"doc#/components/schemas/{name}"}, registry=registry)


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"method": "projection", "parameters": {"base": 10, "horizon": 5}}, True),
        ({"method": "projection", "parameters": {"base": 10, "horizon": 9}}, False),
        ({"method": "capture_recapture", "parameters": {"alpha": 0.6}}, False),
        ({"method": "capture_recapture", "parameters": {"analysis": "guess"}}, False),
        ({"method": "hiv_trend", "parameters": {"color": "red"}}, False),
    ],
)  # fmt: skip
def test_the_document_and_the_server_agree_on_a_body(document, client, make_token, body,
                                                     valid):  # fmt: skip
    study = {"title": "", "lists": [], "period": "2003", "area_code": "KG", **body}
    assert validator(document, body["method"]).is_valid(study) == valid
    response = client.post("/api/jobs", json=study, headers=bearer(make_token("epi")))
    assert (response.status_code == 202) == valid, response.json


@pytest.mark.parametrize(
    "path",
    ["/api/v1/analytics.xlsx", "/api/analytics.xlsx", "/api/jobs/{job_id}/result.xlsx"],
)
def test_the_xlsx_downloads_document_their_media_type(document, path):
    content = document["paths"][path]["get"]["responses"]["200"]["content"]
    assert content[XLSX_MIMETYPE]["schema"] == {"type": "string", "format": "binary"}


@pytest.mark.parametrize("path", ["/api/v1/analytics.csv", "/api/analytics.csv",
                                  "/api/jobs/{job_id}/result.csv"])  # fmt: skip
def test_the_csv_downloads_document_bom(document, path):
    parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
    assert parameters["bom"]["in"] == "query"
    assert parameters["bom"]["schema"]["enum"] == ["0", "1"]
