"""Ending sessions on the server: a copied session cookie stops working after logout, a
password change, a role change and deactivation (replayed through real requests)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.registry.web.conftest import AuthActions

NEW_PASSWORD = "another-password-2"


def copied_cookie(app: Flask, password: str, username: str) -> tuple[AuthActions, str]:
    """Sign ``username`` in on a browser of its own; return it and its session cookie."""
    browser = AuthActions(app.test_client(), password)
    assert browser.login(username).status_code == 302
    assert browser.client.get("/").status_code in (200, 302)
    return browser, browser.client.get_cookie("session").value


def replay(app: Flask, cookie: str) -> FlaskClient:
    """A second browser (the attacker's) holding a copy of the cookie."""
    attacker = app.test_client()
    attacker.set_cookie("session", cookie)
    return attacker


def works(client: FlaskClient) -> bool:
    """True if the session opens a page for signed-in users (the studies list)."""
    return client.get("/studies/").status_code == 200


def logout(browser: AuthActions, runner, username: str) -> None:
    assert browser.logout().status_code == 302


def set_password(browser: AuthActions, runner, username: str) -> None:
    result = runner.invoke(args=["users", "set-password", username, "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output


def set_role(browser: AuthActions, runner, username: str) -> None:
    result = runner.invoke(args=["users", "set-role", username, "--role", "admin"])
    assert result.exit_code == 0, result.output


def deactivate(browser: AuthActions, runner, username: str) -> None:
    result = runner.invoke(args=["users", "deactivate", username])
    assert result.exit_code == 0, result.output


EVENTS: dict[str, Callable] = {
    "logout": logout,
    "password change": set_password,
    "role change": set_role,
    "deactivation": deactivate,
}


@pytest.mark.parametrize("event", EVENTS)
def test_a_copied_cookie_stops_working(app, runner, registry_data, event):
    browser, cookie = copied_cookie(app, registry_data.password, "epi")
    _other, other_cookie = copied_cookie(app, registry_data.password, "epi")  # second desk
    assert works(replay(app, cookie)) and works(replay(app, other_cookie))
    EVENTS[event](browser, runner, "epi")
    for stolen in (cookie, other_cookie):
        attacker = replay(app, stolen)
        assert not works(attacker), event
        assert attacker.get("/studies/").headers["Location"].startswith("/login")
        assert attacker.get("/api/jobs").status_code == 401  # the API reads the session too


def test_other_users_keep_their_sessions(app, runner, registry_data):
    browser, cookie = copied_cookie(app, registry_data.password, "epi")
    _admin, admin_cookie = copied_cookie(app, registry_data.password, "admin")
    assert browser.logout().status_code == 302
    set_password(browser, runner, "epi")
    assert works(replay(app, admin_cookie))
    assert not works(replay(app, cookie))


def test_signing_in_again_after_a_password_change_works(app, runner, registry_data):
    _browser, cookie = copied_cookie(app, registry_data.password, "epi")
    set_password(_browser, runner, "epi")
    assert not works(replay(app, cookie))
    _again, fresh = copied_cookie(app, NEW_PASSWORD, "epi")
    assert works(replay(app, fresh))


def test_set_role_follows_the_centre_rules_and_is_audited(app, runner, registry_data):
    from sqlalchemy import select

    from registry.extensions import db
    from registry.models import AuditEvent, User

    refused = runner.invoke(args=["users", "set-role", "epi", "--role", "clinic_staff"])
    assert refused.exit_code != 0 and "centre" in refused.output
    unknown = runner.invoke(args=["users", "set-role", "epi", "--role", "clinic_staff",
                                  "--centre", "NOPE"])  # fmt: skip
    assert unknown.exit_code != 0 and "no centre" in unknown.output
    moved = runner.invoke(args=["users", "set-role", "epi", "--role", "clinic_staff",
                                "--centre", "OSH"])  # fmt: skip
    assert moved.exit_code == 0, moved.output
    back = runner.invoke(args=["users", "set-role", "epi", "--role", "epidemiologist"])
    assert back.exit_code == 0, back.output
    with app.app_context():
        user = db.session.get(User, registry_data.users["epi"])
        assert (user.role, user.centre_id) == ("epidemiologist", None)
        details = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "update").order_by(AuditEvent.id)
        ).all()
    osh = registry_data.centres["OSH"]
    assert details == [f"role=clinic_staff centre={osh}", "role=epidemiologist"]


def test_deactivation_ends_sessions_for_good_even_if_the_account_returns(
    app, runner, registry_data
):
    from registry.extensions import db
    from registry.models import User

    browser, cookie = copied_cookie(app, registry_data.password, "epi")
    deactivate(browser, runner, "epi")
    with app.app_context():  # back at work (reactivated in the database by an admin)
        db.session.get(User, registry_data.users["epi"]).active = True
        db.session.commit()
    assert not works(replay(app, cookie))
    _again, fresh = copied_cookie(app, registry_data.password, "epi")
    assert works(replay(app, fresh))
