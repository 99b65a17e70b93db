"""Security headers, error pages and problem details, and no identifiers anywhere."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from registry.auth.roles import public
from tests.registry.web.conftest import IDENTIFIER_TRACES, assert_no_identifiers

TEMPLATES = Path(__file__).resolve().parents[3] / "registry" / "templates"


def test_security_headers_on_every_page(client, auth):
    for response in (client.get("/login"), client.get("/nowhere"), auth.login()):
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_https_responses_ask_for_https_from_now_on(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_signed_in_pages_are_not_cached(auth, client):
    auth.login()
    assert client.get("/dashboard").headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_script_or_style():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert "<style" not in text and " style=" not in text, path
        assert not re.search(r"\son[a-z]+=", text), path  # no onclick= handlers
        assert "http://" not in text and "https://" not in text, path  # no CDN


@pytest.mark.parametrize("app_config", [{"SESSION_COOKIE_SECURE": True}])
def test_session_cookie_is_secure_when_configured(auth, app_config):
    cookie = auth.login().headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_not_found_is_an_html_page(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<h1>" in response.get_data(as_text=True)


def test_api_errors_are_problem_details(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert body["instance"] == "/api/v1/nothing-here"


def test_validation_errors_under_api_name_the_field(app, client):
    from registry.schemas import LabTestSchema

    @public
    def probe():
        LabTestSchema().load({"test": "HIV", "sample_date": "someday"})
        return "unreachable"

    app.add_url_rule("/api/probe", "probe", probe, methods=["POST"])
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # an API route is token-authenticated
    response = client.post("/api/probe", json={})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    fields = {error["field"] for error in response.get_json()["errors"]}
    assert fields == {"sample_date", "result"}
    assert all(error["pointer"] == "#/" + error["field"] for error in response.get_json()["errors"])


def test_csrf_failure_page_does_not_echo_the_form(client, admission_form):
    response = client.post("/login", data=admission_form())
    assert response.status_code == 400
    assert_no_identifiers(response.get_data(as_text=True))


def test_server_error_page_shows_nothing_of_the_request(app, client, admission_form, caplog):
    @public
    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/broken", "broken", broken, methods=["POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post("/broken", data=admission_form())
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "boom" not in html and "Traceback" not in html
    assert_no_identifiers(html)
    assert_no_identifiers(caplog.text)


def test_no_identifier_in_responses_or_logs_after_admission(auth, client, admission_form, caplog):
    caplog.set_level(logging.DEBUG)
    auth.login()
    responses = [auth.post("/admissions/new", admission_form())]
    location = responses[0].headers["Location"]
    responses += [client.get(location), client.get("/dashboard")]
    responses.append(auth.post("/admissions/new", admission_form(primary_drug="")))
    responses.append(auth.post("/clients/find", {k: admission_form()[k] for k in (
        "family_name", "given_name", "birth_date", "sex")}))  # fmt: skip
    for response in responses:
        assert_no_identifiers(response.get_data(as_text=True))
        assert_no_identifiers(str(response.headers))
    assert_no_identifiers(caplog.text)
    assert IDENTIFIER_TRACES[0] not in location
