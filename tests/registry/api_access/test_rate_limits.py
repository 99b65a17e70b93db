"""Rate limits on /api/: per token (or user), 429 problem details with Retry-After."""

from __future__ import annotations

import pytest

from registry import create_app
from registry.config import ConfigError
from tests.conftest import TEST_SECRETS
from tests.registry.api_access.conftest import bearer


@pytest.fixture
def app_config() -> dict:
    """Three API requests a minute, so the fourth is refused."""
    return {"API_RATE_LIMIT": "3 per minute"}


def test_the_request_over_the_limit_gets_429_with_retry_after(app, make_token):
    client = app.test_client()
    headers = bearer(make_token("epi"))
    statuses = [client.get("/api/jobs", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = client.get("/api/jobs", headers=headers)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    body = refused.get_json()
    assert body["status"] == 429 and "3 per 1 minute" in body["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.headers["X-RateLimit-Remaining"] == "0"


def test_one_count_covers_every_api_route(app, make_token):
    client = app.test_client()
    headers = bearer(make_token("epi"))
    for path in ("/api/jobs", "/api/uploads", "/api/duplicates"):
        assert client.get(path, headers=headers).status_code == 200
    assert client.get("/api/csrf-token", headers=headers).status_code == 429
    assert client.get("/api/openapi.json", headers=headers).status_code == 429


def test_each_token_and_user_has_its_own_count(app, make_token, registry_data):
    from tests.registry.web.conftest import AuthActions

    first, second = bearer(make_token("epi")), bearer(make_token("epi"))
    client = app.test_client()
    for _ in range(3):
        client.get("/api/jobs", headers=first)
    assert client.get("/api/jobs", headers=first).status_code == 429
    assert client.get("/api/jobs", headers=second).status_code == 200
    session_client = app.test_client()
    AuthActions(session_client, registry_data.password).login("admin")
    assert session_client.get("/api/jobs").status_code == 200


def test_pages_are_not_limited(app, registry_data):
    from tests.registry.web.conftest import AuthActions

    client = app.test_client()
    AuthActions(client, registry_data.password).login("epi")
    assert all(client.get("/studies/").status_code == 200 for _ in range(6))


def test_counters_go_to_redis_when_redis_url_is_set_and_to_memory_while_it_is_down():
    from limits.storage import MemoryStorage, RedisStorage

    settings = {"TESTING": True, "DATABASE_URL": "sqlite://", **TEST_SECRETS}
    redis_app = create_app({**settings, "REDIS_URL": "redis://127.0.0.1:6399/0"})
    limiter = redis_app.extensions["registry_rate_limits"]
    assert isinstance(limiter.storage, RedisStorage)
    response = redis_app.test_client().get("/api/openapi.json")  # nothing listens on 6399
    assert response.status_code == 200 and response.headers["X-RateLimit-Limit"] == "600"
    memory_app = create_app(settings)
    assert isinstance(memory_app.extensions["registry_rate_limits"].storage, MemoryStorage)


def test_an_invalid_limit_stops_start_up():
    with pytest.raises(ConfigError, match="API_RATE_LIMIT"):
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://", **TEST_SECRETS,
                    "API_RATE_LIMIT": "lots"})  # fmt: skip
