"""API tokens: the CLI, bearer sign-in on /api/ only, no session, no CSRF, audit, refusal."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from registry.auth.tokens import digest
from registry.extensions import db
from registry.models import ApiToken, AuditEvent, User
from registry.models.base import utcnow
from tests.registry.api_access.conftest import bearer

STUDY = {"method": "capture_recapture", "lists": ["registry:ost", "registry:hiv_tested"],
         "period": "2003", "area_code": "KG"}  # fmt: skip


def audit_rows(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(AuditEvent.action, AuditEvent.entity, AuditEvent.user_id, AuditEvent.detail)
            .where(AuditEvent.entity == "api_token")
            .order_by(AuditEvent.id)
        ).all()


def test_the_cli_prints_a_token_once_and_stores_only_its_digest(app, runner, registry_data):
    result = runner.invoke(args=["tokens", "create", "epi", "--name", "dhis2", "--expires", "30"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("nrt_") and len(secret) >= 4 + 43  # 32 random bytes
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.token_digest == digest(secret) and secret not in token.token_digest
        assert token.name == "dhis2" and token.user_id == registry_data.users["epi"]
        days = (token.expires_at - token.created_at).total_seconds() / 86400
        assert abs(days - 30) < 1e-3
        created = token.created_at
    assert app.test_client().get("/api/jobs", headers=bearer(secret)).status_code == 200

    listing = runner.invoke(args=["tokens", "list"])
    assert "dhis2" in listing.output and "active" in listing.output
    assert f"{created:%Y-%m-%d}" in listing.output.splitlines()[1].split("active")[1]
    assert secret not in listing.output and secret[4:20] not in listing.output
    revoked = runner.invoke(args=["tokens", "revoke", "1"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert "revoked" in runner.invoke(args=["tokens", "list", "epi"]).output
    assert app.test_client().get("/api/jobs", headers=bearer(secret)).status_code == 401
    actions = [(action, detail) for action, _entity, _user, detail in audit_rows(app)]
    assert actions == [("create", f"user={registry_data.users['epi']}"),
                       ("update", "revoked"), ("login_failed", "revoked")]  # fmt: skip


def test_the_cli_refuses_unknown_users_tokens_and_bad_expiry(runner, registry_data):
    assert runner.invoke(args=["tokens", "create", "nobody"]).exit_code == 2
    assert runner.invoke(args=["tokens", "create", "epi", "--expires", "0"]).exit_code == 2
    assert runner.invoke(args=["tokens", "revoke", "99"]).exit_code == 2
    long_name = runner.invoke(args=["tokens", "create", "epi", "--name", "x" * 65])
    assert long_name.exit_code == 1 and "name" in long_name.output
    assert "No tokens." in runner.invoke(args=["tokens", "list"]).output


def test_a_token_acts_as_its_user_without_session_or_csrf(app, make_token, registry_data):
    client = app.test_client()
    headers = bearer(make_token("epi"))
    created = client.post("/api/jobs", json=STUDY, headers=headers)  # no X-CSRFToken
    assert created.status_code == 202, created.json
    for response in (created, client.get("/api/csrf-token", headers=headers)):
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get_cookie("session") is None
    with app.app_context():
        study_event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "study"))
        assert study_event.user_id == registry_data.users["epi"]


def test_a_signed_in_session_still_needs_the_csrf_token(app, registry_data):
    from tests.registry.web.conftest import AuthActions

    client = app.test_client()
    AuthActions(client, registry_data.password).login("epi")
    refused = client.post("/api/jobs", json=STUDY)
    assert refused.status_code == 400 and refused.mimetype == "application/problem+json"
    # a bearer header with no token does not switch off the check
    assert client.post("/api/jobs", json=STUDY, headers=bearer("")).status_code == 401
    token = client.get("/api/csrf-token").json["csrf_token"]
    assert client.post("/api/jobs", json=STUDY, headers={"X-CSRFToken": token}).status_code == 202


def test_a_token_never_opens_an_html_page(app, make_token):
    headers = bearer(make_token("epi"))
    for path in ("/", "/studies/", "/studies/jobs"):
        response = app.test_client().get(path, headers=headers)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_bad_expired_and_deactivated_tokens_get_401_and_are_audited(app, make_token, registry_data):
    client = app.test_client()
    expired = make_token("epi", expires_days=1)
    deactivated = make_token("ministry")
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.token_digest == digest(expired)))
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.get(User, registry_data.users["ministry"]).active = False
        db.session.commit()
    for secret in ("nrt_" + "A" * 43, expired, deactivated, "not-a-token"):
        response = client.get("/api/jobs", headers=bearer(secret))
        assert response.status_code == 401, secret
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    details = [detail for action, _e, _u, detail in audit_rows(app) if action == "login_failed"]
    assert details == ["unknown token", "expired", "user inactive", "unknown token"]


def test_the_last_use_is_kept_to_the_hour(app, make_token):
    secret = make_token("epi")
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.last_used_at is None
    client = app.test_client()
    client.get("/api/jobs", headers=bearer(secret))
    with app.app_context():
        first = db.session.scalar(select(ApiToken.last_used_at))
        assert first is not None
    client.get("/api/jobs", headers=bearer(secret))
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) == first  # no write
        db.session.scalar(select(ApiToken)).last_used_at = first - timedelta(hours=2)
        db.session.commit()
    client.get("/api/jobs", headers=bearer(secret))
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) > first


def test_a_token_refused_by_role_is_audited(app, make_token, registry_data):
    response = app.test_client().get("/api/jobs", headers=bearer(make_token("ministry")))
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    denied = [row for row in audit_rows(app) if row[0] == "login_failed"]
    assert denied == [("login_failed", "api_token", registry_data.users["ministry"],
                       "forbidden estimation_api.Jobs")]  # fmt: skip


def test_a_new_password_names_or_revokes_the_users_tokens(app, make_token, runner):
    """Tokens are credentials of their own: a new password says which still work, and
    --revoke-tokens stops them (an exposed password may have been used to read them)."""
    first, second = bearer(make_token("epi", "laptop")), bearer(make_token("epi", "script"))
    client = app.test_client()
    kept = runner.invoke(args=["users", "set-password", "epi", "--password", "other-pass-123"])
    assert kept.exit_code == 0, kept.output
    assert "2 API token(s) of epi still work (ids 1, 2)" in kept.output
    assert client.get("/api/jobs", headers=first).status_code == 200
    revoked = runner.invoke(
        args=["users", "set-password", "epi", "--password", "third-pass-123", "--revoke-tokens"]
    )
    assert revoked.exit_code == 0 and "2 API token(s) revoked" in revoked.output
    assert {client.get("/api/jobs", headers=h).status_code for h in (first, second)} == {401}
