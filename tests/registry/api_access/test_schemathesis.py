"""Property-based API tests: schemathesis generates requests from the OpenAPI document.

Every operation of ``/api/openapi.json`` is called through WSGI (no server) with an API
token of ``epi`` (so requests pass authentication and reach the views) on a registry
with uploads, a duplicate pair and a finished job. Purely generated values mostly end in
404 (unknown ids) or 422 (random analytics codes), so half of the cases get realistic
values drawn by :func:`realistic`: ids of existing records, valid indicator, period and
org-unit codes, a valid study; the views then run their full path. Whatever the values,
no response may be a server error, and every response must match
the document: status codes, content types and body schemas, on both backends. Bounded by
:data:`MAX_EXAMPLES` per operation so the module runs in well under a minute per backend.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registry.analytics import INDICATORS
from registry.auth.tokens import create_token
from registry.extensions import db
from registry.models import User
from tests.registry.web import study_fixtures

study_records = study_fixtures.study_records  # the fixture, used below

MAX_EXAMPLES = 12
#: No 5xx; documented status codes, content types and body schemas.
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


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


def realistic(case: schemathesis.Case, data: st.DataObject, records) -> None:
    """Put values of the seeded registry into ``case`` (ids, codes, a valid study)."""
    ids = {
        "job_id": [records.job_id],
        "list_id": [records.list_id, *records.list_ids, records.identifier_list_id],
        "candidate_id": [records.candidate_id],
    }
    for name in list(case.path_parameters or {}):
        if name in ids:
            case.path_parameters[name] = data.draw(st.sampled_from(ids[name]))
    if case.operation.path.startswith("/api/v1/analytics"):
        codes = data.draw(st.lists(st.sampled_from(sorted(INDICATORS)), min_size=1, max_size=4))
        periods = ["2003", "2003Q4", "200306", "LAST_5_YEARS", "THIS_YEAR", "2002;2003"]
        units = ["KG", "LEVEL-2", "KG;LEVEL-2", "KG-GB", "LEVEL-3"]
        case.query = {"dx": ";".join(codes), "pe": data.draw(st.sampled_from(periods)),
                      "ou": data.draw(st.sampled_from(units)),
                      "relativePeriodDate": "2004-06-30"}  # fmt: skip
        dimension = data.draw(st.sampled_from([None, "sex", "age", "SEX:M", "AGE:20-24"]))
        if dimension:
            case.query["dimension"] = dimension
    elif case.operation.path == "/api/linkage/overlap":
        lists = [f"upload:{i}" for i in records.list_ids] + ["registry:ost", "registry:treatment"]
        chosen = data.draw(st.lists(st.sampled_from(lists), min_size=2, max_size=4, unique=True))
        case.query = {"lists": chosen, "period": "2003", "area_code": "KG"}
    elif case.operation.path == "/api/jobs" and case.method.upper() == "POST":
        case.body = {"method": "capture_recapture", "period": "2003", "area_code": "KG",
                     "lists": [f"upload:{i}" for i in records.list_ids]}  # fmt: skip


def test_no_server_error_and_responses_match_the_document(
    api_schema, app, backend, study_records
):  # fmt: skip
    checks = CHECKS
    headers = {"Authorization": f"Bearer {app.config['SCHEMATHESIS_TOKEN']}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 18
    statuses: dict[str, set[int]] = {}

    for operation in operations:

        @given(case=operation.as_strategy(), data=st.data())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case: schemathesis.Case, data: st.DataObject) -> None:
            if data.draw(st.booleans()):
                realistic(case, data, study_records)
            response = case.call(headers=headers)
            statuses.setdefault(f"{case.method.upper()} {case.path}", set()).add(
                response.status_code
            )
            case.validate_response(response, checks=checks)

        call()
    # the realistic half reached the views' full path, not only their refusals
    for operation in ("GET /api/v1/analytics", "GET /api/v1/analytics.csv",
                      "GET /api/v1/analytics.adx", "GET /api/jobs/{job_id}/result",
                      "GET /api/linkage/overlap", "POST /api/jobs"):  # fmt: skip
        assert statuses[operation] & {200, 202}, (operation, statuses[operation])
