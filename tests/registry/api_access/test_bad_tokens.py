"""Refused tokens are throttled per token and per address (429 problem details with
Retry-After); valid tokens, other addresses and password sign-in are unaffected."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import AuditEvent
from tests.registry.api_access.conftest import bearer
from tests.registry.web.conftest import AuthActions


@pytest.fixture
def app_config() -> dict:
    """Three refused token requests a minute per token and per address."""
    return {"API_BAD_TOKEN_LIMIT": "3 per minute"}


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def unknown(n: int) -> dict[str, str]:
    return bearer(f"nrt_{n:043d}")


def login_failures(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(AuditEvent.action == "login_failed"))


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 429 and "token" in body["detail"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert str(response.headers["Retry-After"]) in body["detail"]


def test_one_revoked_token_is_throttled_from_every_address(app, make_token, runner):
    revoked = bearer(make_token("epi"))
    runner.invoke(args=["tokens", "revoke", "1"])
    client = app.test_client()
    for n in range(3):
        response = client.get("/api/jobs", headers=revoked, **from_address(f"10.0.0.{n}"))
        assert response.status_code == 401
    assert_throttled(client.get("/api/jobs", headers=revoked, **from_address("10.0.0.9")))
    assert login_failures(app) == 3  # throttled requests write no audit row


def test_many_unknown_tokens_from_one_address_are_throttled(app):
    client = app.test_client()
    here = from_address("192.0.2.1")
    assert [client.get("/api/jobs", headers=unknown(n), **here).status_code
            for n in range(3)] == [401] * 3  # fmt: skip
    assert_throttled(client.get("/api/jobs", headers=unknown(3), **here))
    elsewhere = client.get("/api/jobs", headers=unknown(4), **from_address("192.0.2.2"))
    assert elsewhere.status_code == 401


def test_a_valid_token_from_a_throttled_address_still_works(app, make_token):
    good = bearer(make_token("epi"))
    client = app.test_client()
    here = from_address("192.0.2.1")
    for n in range(4):
        client.get("/api/jobs", headers=unknown(n), **here)
    assert_throttled(client.get("/api/jobs", headers=unknown(5), **here))
    assert client.get("/api/jobs", headers=good, **here).status_code == 200


def test_requests_refused_by_role_are_not_throttled(app, make_token):
    ministry = bearer(make_token("ministry"))
    client = app.test_client()
    assert {client.get("/api/jobs", headers=ministry).status_code for _ in range(6)} == {403}
    assert client.get("/api/csrf-token", headers=ministry).status_code == 200


def test_the_throttle_speaks_russian(app, runner, make_token):
    revoked = bearer(make_token("epi"))
    runner.invoke(args=["tokens", "revoke", "1"])
    client = app.test_client()
    headers = {**revoked, "Accept-Language": "ru"}
    for _ in range(3):
        client.get("/api/jobs", headers=headers)
    refused = client.get("/api/jobs", headers=headers)
    assert refused.status_code == 429 and "токен" in refused.get_json()["detail"]


def test_api_token_failures_never_lock_the_password(app, make_token, runner, registry_data):
    revoked = make_token("epi")
    assert runner.invoke(args=["tokens", "revoke", "1"]).exit_code == 0
    forbidden = make_token("ministry")
    app.config["API_BAD_TOKEN_LIMIT"] = "1000 per minute"  # this test is about the password
    client = app.test_client()
    for _ in range(12):
        assert client.get("/api/jobs", headers=bearer(revoked)).status_code == 401
        assert client.get("/api/jobs", headers=bearer(forbidden)).status_code == 403
    browser = AuthActions(app.test_client(), registry_data.password)
    assert browser.login("epi").status_code == 302
    assert browser.logout().status_code == 302
    assert browser.login("ministry").status_code == 302


def test_refused_tokens_are_counted_in_memory_while_redis_is_down(tmp_path):
    from registry import create_app
    from tests.conftest import TEST_SECRETS

    redis_app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
                            **TEST_SECRETS, "REDIS_URL": "redis://127.0.0.1:6399/0",
                            "API_BAD_TOKEN_LIMIT": "2 per minute"})  # fmt: skip
    with redis_app.app_context():
        db.create_all()
    client = redis_app.test_client()  # nothing listens on 6399
    statuses = [client.get("/api/jobs", headers=unknown(n)).status_code for n in range(3)]
    assert statuses == [401, 401, 429]
    with redis_app.app_context():
        db.engine.dispose()


def test_an_invalid_bad_token_limit_stops_start_up():
    from registry import create_app
    from registry.config import ConfigError
    from tests.conftest import TEST_SECRETS

    with pytest.raises(ConfigError, match="API_BAD_TOKEN_LIMIT"):
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://", **TEST_SECRETS,
                    "API_BAD_TOKEN_LIMIT": "lots"})  # fmt: skip


def test_a_forged_forwarded_address_does_not_escape_the_count(app):
    """Without TRUSTED_PROXIES, X-Forwarded-For is the client's word and is ignored."""
    client = app.test_client()
    here = from_address("192.0.2.1")
    for n in range(3):
        forged = {**unknown(n), "X-Forwarded-For": f"198.51.100.{n}"}
        assert client.get("/api/jobs", headers=forged, **here).status_code == 401
    forged = {**unknown(3), "X-Forwarded-For": "198.51.100.99"}
    assert_throttled(client.get("/api/jobs", headers=forged, **here))
