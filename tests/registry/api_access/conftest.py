"""Fixtures for machine access: API tokens made through the real service.

``make_token(username, **options) -> str`` creates a token for a fixture user (see
``tests/registry/conftest.py``) with :func:`registry.auth.tokens.create_token`, commits,
and returns the secret; ``bearer(secret)`` is the header dict to send with it.
"""

from __future__ import annotations

import pytest

from registry.auth.tokens import create_token
from registry.extensions import db
from registry.models import User


def bearer(secret: str) -> dict[str, str]:
    """The ``Authorization`` header of a token request."""
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def make_token(app, registry_data):
    """``make_token(username, name="", expires_days=None) -> secret``."""

    def make(username: str, name: str = "", expires_days: int | None = None) -> str:
        with app.app_context():
            user = db.session.get(User, registry_data.users[username])
            _token, secret = create_token(user, name, expires_days)
            db.session.commit()
        return secret

    return make
