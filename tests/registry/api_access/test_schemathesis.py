"""Property-based API tests: schemathesis generates requests from the OpenAPI document.

Every operation of ``/api/openapi.json`` is called through WSGI (no server) with an API
token of ``epi`` (so requests pass authentication and reach the views) on a registry
with uploads, a duplicate pair and a finished job. Whatever the generated path ids,
queries and bodies, no response may be a server error, and every response must match
the document: status codes and content types on both backends, body schemas on
PostgreSQL (see :data:`POSTGRES_CHECKS`). Bounded by
:data:`MAX_EXAMPLES` per operation so the module runs in well under a minute per backend.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registry.auth.tokens import create_token
from registry.extensions import db
from registry.models import User
from tests.registry.web import study_fixtures

study_records = study_fixtures.study_records  # the fixture, used below

MAX_EXAMPLES = 12
#: Checked on every backend: no 5xx; documented status codes and content types.
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance)
#: Body schemas are checked on PostgreSQL only: SQLite hands back naive datetimes, which
#: the API writes without an offset, so they are not RFC 3339 ``date-time`` values.
POSTGRES_CHECKS = (*CHECKS, response_schema_conformance)


@pytest.fixture
def app_config() -> dict:
    """No rate limit in the way of the generated requests."""
    return {"API_RATE_LIMIT": "100000 per minute"}


@pytest.fixture
def api_schema(app, registry_data, study_records):
    """The app's OpenAPI document, loaded through WSGI, with an ``epi`` token."""
    with app.app_context():
        user = db.session.get(User, registry_data.users["epi"])
        _token, secret = create_token(user, "schemathesis")
        db.session.commit()
    app.config["SCHEMATHESIS_TOKEN"] = secret
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def test_no_server_error_and_responses_match_the_document(api_schema, app, backend):
    checks = POSTGRES_CHECKS if backend == "postgresql" else CHECKS
    headers = {"Authorization": f"Bearer {app.config['SCHEMATHESIS_TOKEN']}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 11

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=checks)

        call()
