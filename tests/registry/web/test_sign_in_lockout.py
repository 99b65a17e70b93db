"""The password lockout: keyed by the typed name, the same answer whether or not the
account exists (API token failures never touch it: tests/registry/api_access)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from registry.extensions import db
from registry.models import AuditEvent
from tests.registry.web.conftest import AuthActions

CSRF = re.compile(r'(name="csrf_token" value=")[^"]+(")')
#: headers whose value differs between any two browsers (or by the second) by nature
VARYING = {"Set-Cookie", "Retry-After"}


def answer(response, typed_name: str) -> tuple:
    """What a guesser sees: status, body (its own CSRF token and typed name masked), headers."""
    body = CSRF.sub(r"\1TOKEN\2", response.get_data(as_text=True)).replace(typed_name, "NAME")
    headers = sorted(
        (name, "" if name in VARYING else value) for name, value in response.headers.items()
    )
    return response.status_code, body, headers


def guess(app, registry_data, name: str, attempts: int) -> list[tuple]:
    browser = AuthActions(app.test_client(), registry_data.password)
    return [answer(browser.login(name, "wrong-guess-1"), name) for _ in range(attempts)]


def test_an_existing_and_an_unknown_name_get_the_same_answers(app, registry_data):
    # names of one length, so even Content-Length must match
    existing = guess(app, registry_data, "clinic-osh", 12)
    unknown = guess(app, registry_data, "clinic-xyz", 12)
    assert [status for status, _b, _h in existing] == [422] * 10 + [429] * 2
    assert existing == unknown
    assert all(("Retry-After", "") in headers for _s, _b, headers in existing[10:])


def test_the_lock_holds_even_for_the_right_password_and_then_ends(app, registry_data):
    from registry.models import SignInFailure

    app.config["LOGIN_MAX_FAILURES"] = 3
    guess(app, registry_data, "clinic-osh", 3)
    browser = AuthActions(app.test_client(), registry_data.password)
    locked = browser.login("clinic-osh")
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 15 * 60
    with app.app_context():  # the lock began LOGIN_LOCK_MINUTES ago
        row = db.session.scalar(select(SignInFailure))
        row.first_at -= timedelta(minutes=15)
        row.locked_at -= timedelta(minutes=15)
        db.session.commit()
    assert browser.login("clinic-osh", "wrong-guess-1").status_code == 422  # a fresh count
    with app.app_context():
        row = db.session.scalar(select(SignInFailure))
        assert (row.failures, row.locked_at) == (1, None)
    assert browser.login("clinic-osh").status_code == 302
    with app.app_context():  # a successful sign-in forgets the failures
        assert db.session.scalar(select(SignInFailure)) is None


def test_failures_are_kept_by_a_keyed_digest_never_the_typed_name(app, registry_data):
    from registry.models import SignInFailure

    guess(app, registry_data, "typed-secret-1", 2)
    with app.app_context():
        row = db.session.scalar(select(SignInFailure))
        assert row.failures == 2 and "typed-secret-1" not in row.name_key
        names = db.session.scalars(select(AuditEvent.username)).all()
    assert names == [None, None]


def test_attempts_during_the_lock_do_not_extend_it(app, registry_data):
    from registry.models import SignInFailure

    app.config["LOGIN_MAX_FAILURES"] = 2
    guess(app, registry_data, "epi", 5)
    with app.app_context():
        row = db.session.scalar(select(SignInFailure))
        assert row.failures == 2 and row.locked_at is not None


def test_an_administrator_can_unlock_a_name(app, runner, registry_data):
    app.config["LOGIN_MAX_FAILURES"] = 2
    guess(app, registry_data, "clinic-osh", 2)
    browser = AuthActions(app.test_client(), registry_data.password)
    assert browser.login("clinic-osh").status_code == 429
    result = runner.invoke(args=["users", "unlock", " Clinic-OSH"])
    assert result.exit_code == 0 and "unlocked" in result.output
    assert browser.login("clinic-osh").status_code == 302
    assert "no failures" in runner.invoke(args=["users", "unlock", "clinic-osh"]).output
    with app.app_context():
        cleared = db.session.execute(
            select(AuditEvent.entity_id).where(AuditEvent.detail == "sign-in failures cleared")
        ).all()
    assert cleared == [(registry_data.users["clinic-osh"],)]
