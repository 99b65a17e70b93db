"""How DHIS2 clients sign in: ``Authorization: ApiToken`` and HTTP Basic.

Basic goes through the sign-in form's throttle (:mod:`registry.auth.throttle`): wrong
passwords over Basic lock the name on the form too and the other way round; refused API
tokens never lock a password. Basic is accepted on the DHIS2 endpoints only, starts no
session and needs no CSRF token.
"""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import AuditEvent
from tests.registry.web.conftest import AuthActions

ME = "/api/me"


@pytest.fixture
def app_config() -> dict:
    return {"LOGIN_MAX_FAILURES": 3, "API_BAD_TOKEN_LIMIT": "100 per minute"}


def basic(username: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def test_api_token_in_dhis2s_spelling_signs_in(client, make_token):
    secret = make_token("ministry")
    response = client.get(ME, headers={"Authorization": f"ApiToken {secret}"})
    assert response.status_code == 200
    assert response.get_json()["username"] == "ministry"
    assert "Set-Cookie" not in response.headers
    refused = client.get(ME, headers={"Authorization": "ApiToken nrt_" + "0" * 43})
    assert refused.status_code == 401


def test_basic_signs_in_without_a_session_and_is_audited(app, client, registry_data):
    response = client.get(ME, headers=basic("epi", registry_data.password))
    assert response.status_code == 200
    assert response.get_json()["username"] == "epi"
    assert "Set-Cookie" not in response.headers
    assert client.get(ME).status_code == 401  # nothing was remembered
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "login" in actions


@pytest.mark.parametrize(
    "header",
    [basic("epi", "wrong"), basic("nobody", "x"), {"Authorization": "Basic !!notbase64"}],
)
def test_wrong_basic_credentials_are_a_401(client, registry_data, header):
    assert client.get(ME, headers=header).status_code == 401


def test_basic_is_refused_to_roles_without_analytics(client, registry_data):
    response = client.get(ME, headers=basic("clinic-bishkek", registry_data.password))
    assert response.status_code == 403


def test_basic_is_only_for_the_dhis2_endpoints(client, registry_data):
    header = basic("epi", registry_data.password)
    assert client.get(ME, headers=header).status_code == 200
    assert client.get("/api/v1/analytics?dx=REG_CLIENTS&pe=2003&ou=KG",
                      headers=header).status_code == 401  # fmt: skip
    assert client.get("/api/jobs", headers=header).status_code == 401


def test_wrong_basic_passwords_lock_the_sign_in_form_too(app, client, registry_data):
    for _ in range(3):
        assert client.get(ME, headers=basic("epi", "wrong-guess")).status_code == 401
    locked = client.get(ME, headers=basic("epi", registry_data.password))
    assert locked.status_code == 429
    assert locked.mimetype == "application/problem+json"
    assert 1 <= int(locked.headers["Retry-After"]) <= 15 * 60
    browser = AuthActions(app.test_client(), registry_data.password)
    assert browser.login("epi").status_code == 429  # the same lock on the form


def test_wrong_passwords_on_the_form_lock_basic_too(app, client, registry_data):
    browser = AuthActions(app.test_client(), registry_data.password)
    for _ in range(3):
        assert browser.login("epi", "wrong-guess").status_code == 422
    assert client.get(ME, headers=basic("epi", registry_data.password)).status_code == 429


def test_refused_api_tokens_never_lock_a_password(app, client, registry_data):
    for n in range(10):
        refused = client.get(ME, headers={"Authorization": f"ApiToken nrt_{n:043d}"})
        assert refused.status_code == 401
    assert client.get(ME, headers=basic("epi", registry_data.password)).status_code == 200
    browser = AuthActions(app.test_client(), registry_data.password)
    assert browser.login("epi").status_code == 302
