"""Helpers for web tests: an ``auth`` object that signs in like a browser.

CSRF protection stays on: every POST carries the token read from the page's form, as a
browser would send it. ``auth.post(path, data)`` fetches the form at ``path`` first
(or ``form_path``) and posts with its token; ``token=False`` leaves the token out.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form in ``html``."""
    match = TOKEN.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


class AuthActions:
    """Sign in and out, and post forms with their CSRF token, through the test client."""

    def __init__(self, client: FlaskClient, password: str) -> None:
        self.client = client
        self.password = password

    def token(self, path: str = "/login") -> str:
        """Open ``path`` and return the CSRF token of its form."""
        response = self.client.get(path, follow_redirects=True)
        assert response.status_code == 200, (path, response.status_code)
        return csrf_token_from(response.get_data(as_text=True))

    def login(self, username: str = "clinic-bishkek", password: str | None = None) -> TestResponse:
        """Sign in through the login form."""
        data = {"username": username, "password": password or self.password}
        data["csrf_token"] = self.token("/login")
        return self.client.post("/login", data=data)

    def logout(self) -> TestResponse:
        """Sign out with the button in the page header."""
        return self.client.post("/logout", data={"csrf_token": self.token("/")})

    def post(
        self,
        path: str,
        data: dict[str, Any],
        *,
        token: bool = True,
        form_path: str | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        """Post ``data`` to ``path`` with the token of the form at ``form_path or path``."""
        data = dict(data)
        if token:
            data["csrf_token"] = self.token(form_path or path)
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture
def auth(client: FlaskClient, registry_data) -> AuthActions:
    """Sign-in helper on the test ``client`` with the fixture users' password."""
    return AuthActions(client, registry_data.password)


@pytest.fixture
def app_context(app):
    """An application context around the test (for querying the database)."""
    with app.app_context():
        yield
