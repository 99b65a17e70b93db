"""/api/docs: the OpenAPI viewer, public, from local files only, within the CSP."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from registry.auth.headers import CONTENT_SECURITY_POLICY
from registry.auth.tokens import create_token
from registry.extensions import db
from tests.browser.conftest import browser_page as browser_page  # the fixtures
from tests.browser.conftest import live_server as live_server


def test_the_viewer_is_public_and_uses_only_local_files(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"<script(?![^>]*\ssrc=)", html), "inline script"
    assert not re.search(r"\sstyle=|<style", html), "inline style"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) == 3
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()
    assert 'data-spec-url="/api/openapi.json"' in html


def test_the_document_declares_bearer_tokens(client):
    document = client.get("/api/openapi.json").get_json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert {"bearerAuth": []} in document["security"]


@pytest.mark.browser
def test_the_viewer_renders_and_tries_a_request_with_a_token(live_server, browser_page):
    from registry.services.users import create_user

    with live_server.app.app_context():
        user = create_user("epi", live_server.password, "epidemiologist", None)
        _token, secret = create_token(user, "docs")
        db.session.commit()
    page = browser_page
    violations: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    page.on(
        "request",
        lambda r: foreign.append(r.url) if urlsplit(r.url).hostname != "127.0.0.1" else 0,
    )
    page.goto(f"{live_server.url}/api/docs")
    jobs = page.locator(".opblock-get", has_text="/api/jobs").first
    jobs.wait_for()
    assert page.locator(".opblock").count() >= 8

    page.locator(".auth-wrapper .authorize").click()
    bearer_form = page.locator(".dialog-ux .auth-container", has_text="bearerAuth")
    bearer_form.locator("input").fill(secret)
    bearer_form.locator("button.authorize").click()
    bearer_form.locator("button", has_text="Logout").wait_for()
    page.locator(".dialog-ux button.close-modal").click()

    jobs.locator(".opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    status = page.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert violations == [] and foreign == []
