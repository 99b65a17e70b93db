"""Behind TRUSTED_PROXIES reverse proxies the client's address is the one the proxy saw:
clients of one proxy are counted apart, and what a client writes in X-Forwarded-For
itself does not change whom it is counted as."""

from __future__ import annotations

import pytest

from registry import create_app
from registry.config import ConfigError
from tests.registry.api_access.test_bad_tokens import assert_throttled, from_address, unknown

PROXY = from_address("10.0.0.1")


@pytest.fixture
def app_config() -> dict:
    return {"API_BAD_TOKEN_LIMIT": "3 per minute", "TRUSTED_PROXIES": 1}


def via_proxy(n: int, forwarded_for: str) -> dict:
    return {"headers": {**unknown(n), "X-Forwarded-For": forwarded_for}, **PROXY}


def test_clients_of_one_proxy_are_counted_apart(app):
    client = app.test_client()
    for n in range(3):
        assert client.get("/api/jobs", **via_proxy(n, "192.0.2.1")).status_code == 401
    assert_throttled(client.get("/api/jobs", **via_proxy(3, "192.0.2.1")))
    assert client.get("/api/jobs", **via_proxy(4, "192.0.2.2")).status_code == 401


def test_a_client_cannot_choose_its_address_through_the_proxy(app):
    """The proxy appends the address it saw; values left of it are the client's own."""
    client = app.test_client()
    for n in range(3):
        forged = f"198.51.100.{n}, 192.0.2.1"
        assert client.get("/api/jobs", **via_proxy(n, forged)).status_code == 401
    assert_throttled(client.get("/api/jobs", **via_proxy(3, "198.51.100.99, 192.0.2.1")))


@pytest.mark.parametrize("value", ["6", "-1", "two"])
def test_a_bad_trusted_proxies_setting_is_refused(value, tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    monkeypatch.setenv("REGISTRY_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        create_app({"TESTING": True})
