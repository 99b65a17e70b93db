"""``/api/openapi.json`` is a valid OpenAPI 3.1 document and says what the API answers.

Validated with ``openapi-spec-validator`` (its OpenAPI 3.1 schema): the multipart upload
is one request body (OpenAPI 3 has no ``formData`` parameters); the CSV, ADX and XML
downloads document their media types; the ``dimension`` parameter is listed; descriptions
use Markdown, not reST literals; the DHIS2-compatible endpoints are documented with the
ways DHIS2 clients sign in.
"""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(document):
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in OpenAPIV31SpecValidator(document).iter_errors()
    ]
    assert errors == []


def test_the_upload_is_one_multipart_body(document):
    operation = document["paths"]["/api/uploads"]["post"]
    assert "parameters" not in operation
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    fields = document["components"]["schemas"][name]["properties"]
    assert set(fields) == {"kind", "source_name", "period", "area_code", "file"}
    assert fields["file"] == {"type": "string", "format": "binary"}


@pytest.mark.parametrize(
    ("path", "media_type"),
    [("/api/v1/analytics.csv", "text/csv"),
     ("/api/v1/analytics.adx", "application/adx+xml"),
     ("/api/analytics.csv", "text/csv"),
     ("/api/analytics.xml", "application/xml"),
     ("/api/jobs/{job_id}/result.csv", "text/csv")],
)  # fmt: skip
def test_downloads_document_their_media_type(document, path, media_type):
    assert media_type in document["paths"][path]["get"]["responses"]["200"]["content"]


@pytest.mark.parametrize("path", ["/api/analytics", "/api/analytics.csv", "/api/analytics.xml"])
def test_the_dimension_parameter_is_listed(document, path):
    parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
    assert parameters["dimension"]["in"] == "query"
    assert parameters["dimension"]["schema"]["type"] == "array"


def test_the_dhis2_metadata_package_and_the_adx_conflict_are_documented(document):
    package = document["paths"]["/api/v1/dhis2/metadata.json"]["get"]["responses"]["200"]
    assert "application/json" in package["content"]
    assert "409" in document["paths"]["/api/v1/analytics.adx"]["get"]["responses"]


def test_no_rest_literals_in_descriptions(document):
    texts: list[str] = []

    def collect(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("summary", "description") and isinstance(value, str):
                    texts.append(value)
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)
    assert texts
    assert [text for text in texts if "``" in text] == []


def test_the_dhis2_endpoints_are_documented_with_dhis2s_sign_in(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["basicAuth"]["scheme"] == "basic"
    assert schemes["dhis2ApiToken"]["name"] == "Authorization"
    for path in ("/api/analytics", "/api/analytics.json", "/api/me"):
        operation = document["paths"][path]["get"]
        assert {"basicAuth": []} in operation["security"]
        assert {"dhis2ApiToken": []} in operation["security"]
    parameters = {p["name"] for p in document["paths"]["/api/analytics"]["get"]["parameters"]}
    assert parameters >= {"dimension", "filter", "displayProperty", "skipMeta", "paging",
                          "ignoreLimit", "outputIdScheme", "includeNumDen"}  # fmt: skip
    assert "headerWidth" in json.dumps(document["components"]["schemas"])
