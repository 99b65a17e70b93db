"""Route x token matrix: a token reaches only the API, and only what its user's role may.

Walks every rule of ``app.url_map`` (so new routes are covered automatically) with a
token of each fixture user, using the expectations of the route matrix
(``tests/registry/web/test_route_matrix.py``). A token never opens an HTML page (it is
ignored there, so the page asks for a sign-in), never gets a session cookie, needs no
CSRF token, gets 403 on API routes its role may not use; a ministry token reaches
aggregate endpoints only, and a clinic token no endpoint that takes a record id.
"""

from __future__ import annotations

from dataclasses import asdict
from types import SimpleNamespace

import pytest

from tests.registry.api_access.conftest import bearer
from tests.registry.web import study_fixtures
from tests.registry.web.conftest import rnc_records as rnc_records  # the fixture
from tests.registry.web.test_route_matrix import (
    EXPECTED,
    PUBLIC,
    ROLE_OF,
    SAMPLE_ARGS,
    SIGNED_IN,
    rules,
)

study_records = study_fixtures.study_records  # the fixture, used below

#: Endpoints of aggregate data (no client-level row): open to everyone, or analytics.
AGGREGATE_ONLY = {e for e, access in EXPECTED.items() if access in (PUBLIC, SIGNED_IN)}


def is_aggregate(endpoint: str) -> bool:
    """True for endpoints that serve documents, CSRF tokens or aggregate indicators (the
    DHIS2 face too, whose /api/me describes the caller only)."""
    blueprint = endpoint.split(".")[0]
    return (
        endpoint in AGGREGATE_ONLY or blueprint.startswith("analytics") or blueprint == "dhis2_api"
    )


@pytest.mark.parametrize("username", list(ROLE_OF))
def test_route_token_matrix(
    app, registry_data, rnc_records, study_records, make_token, username
):  # fmt: skip
    records = SimpleNamespace(**asdict(rnc_records), **asdict(study_records))
    headers = bearer(make_token(username))
    role = ROLE_OF[username]
    client = app.test_client(use_cookies=False)
    reached = set()
    for rule in rules(app):
        if rule.endpoint == "auth.logout":
            continue
        args = {name: SAMPLE_ARGS[name](records) for name in rule.arguments}
        url = rule.build(args)[1]
        access = EXPECTED[rule.endpoint]
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(url, method=method, headers=headers)
            status = response.status_code
            response.close()
            where = f"{username} token {method} {url} -> {status}"
            if not url.startswith("/api/"):  # the token is ignored: an anonymous request
                if access.allows(None):
                    assert status in (200, 302, 400), where  # 400: a form without CSRF
                elif method == "POST" and status == 400:
                    pass  # refused by the CSRF check, which runs first for pages
                else:
                    assert status == 302, where
                    assert response.headers["Location"].startswith("/login"), where
                continue
            assert "Set-Cookie" not in response.headers, where
            if not access.allows(role):
                assert status == 403, where
                continue
            assert status in (200, 202, 404, 422), where  # never 400: no CSRF needed
            if status < 400:
                reached.add(rule.endpoint)
    if role == "ministry":
        assert all(is_aggregate(endpoint) for endpoint in reached), reached
    if role == "clinic_staff":
        with_ids = {r.endpoint for r in app.url_map.iter_rules() if r.arguments - {"filename"}}
        assert not reached & with_ids, reached & with_ids
    if role in ("epidemiologist", "admin"):
        assert "estimation_api.Jobs" in reached and "estimation_api.Result" in reached
