"""``flask users create`` and ``flask demo load|logins`` through the CLI runner."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry import create_app
from registry.demo import DemoRefusedError
from registry.extensions import db
from registry.models import AuditEvent, Client, OstEnrolment, User
from registry.services.users import authenticate, verify_password
from registry.simulation.load import load_demo


def test_users_create_prompts_twice_for_the_password(app, runner, registry_data):
    result = runner.invoke(
        args=["users", "create", "nurse-osh", "--role", "clinic_staff", "--centre", "OSH"],
        input="long-enough-1\nlong-enough-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "long-enough-1" not in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "nurse-osh"))
        assert user.centre_id == registry_data.centres["OSH"]
        assert verify_password(user, "long-enough-1")


def test_users_create_refuses_mismatched_passwords(app, runner, registry_data):
    result = runner.invoke(
        args=["users", "create", "epi2", "--role", "epidemiologist"],
        input="long-enough-1\nlong-enough-2\n",
    )
    assert result.exit_code != 0
    assert "do not match" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["newbie", "--role", "admin"], "password"),  # too short
        (["newbie", "--role", "clinic_staff"], "centre"),
        (["newbie", "--role", "clinic_staff", "--centre", "NOPE"], "no centre"),
        (["admin", "--role", "admin"], "username"),
        (["newbie", "--role", "root"], "root"),
    ],
)
def test_users_create_reports_the_broken_rule(app, runner, registry_data, args, expected):
    password = "short" if expected == "password" else "long-enough-1"
    result = runner.invoke(args=["users", "create", *args], input=f"{password}\n{password}\n")
    assert result.exit_code != 0
    assert expected in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 5


def test_demo_load_is_idempotent_with_if_empty(app, runner):
    result = runner.invoke(args=["demo", "load", "--if-empty", "--scale", "0.01"])
    assert result.exit_code == 0, result.output
    assert "Demo loaded" in result.output
    with app.app_context():
        clients = db.session.scalar(select(func.count()).select_from(Client))
        # about 9,000 clients at scale 1 (the register and the years' treatment entrants)
        assert 60 <= clients <= 150
        assert db.session.scalar(select(func.count()).select_from(OstEnrolment)) > 0
    again = runner.invoke(args=["demo", "load", "--if-empty", "--scale", "0.01"])
    assert again.exit_code == 0 and "not loaded" in again.output
    refused = runner.invoke(args=["demo", "load", "--scale", "0.01"])
    assert refused.exit_code == 1 and "not empty" in refused.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Client)) == clients
        assert authenticate("clinic-osh", "demo").role == "clinic_staff"


def test_demo_logins_lists_existing_demo_users_only(app, runner, registry_data):
    result = runner.invoke(args=["demo", "logins"])
    assert result.exit_code == 0
    assert "password: demo" in result.output
    assert "clinic-bishkek" in result.output and "RNC" in result.output


def test_demo_logins_without_demo_users(app, runner):
    assert "No demo logins" in runner.invoke(args=["demo", "logins"]).output


def test_demo_is_never_loaded_in_production(tmp_path):
    production = create_app(
        {
            "TESTING": True,
            "REGISTRY_ENV": "production",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            "SECRET_KEY": "s" * 40,
            "LINKAGE_KEY": "l" * 40,
        }
    )
    with production.app_context():
        db.create_all()
        with pytest.raises(DemoRefusedError):
            load_demo(scale=0.01)
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        db.engine.dispose()
    result = production.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 1 and "production" in result.output


def test_users_set_password_and_deactivate(app, runner, registry_data):
    result = runner.invoke(
        args=["users", "set-password", "clinic-osh"], input="new-password-1\nnew-password-1\n"
    )
    assert result.exit_code == 0, result.output
    short = runner.invoke(args=["users", "set-password", "clinic-osh"], input="short\nshort\n")
    assert short.exit_code == 1 and "password" in short.output
    unknown = runner.invoke(args=["users", "deactivate", "nobody"])
    assert unknown.exit_code == 2 and "no user" in unknown.output
    assert runner.invoke(args=["users", "deactivate", "clinic-osh"]).exit_code == 0
    with app.app_context():
        user = db.session.get(User, registry_data.users["clinic-osh"])
        assert verify_password(user, "new-password-1") and not user.active
        assert authenticate("clinic-osh", "new-password-1") is None
        details = db.session.scalars(select(AuditEvent.detail).order_by(AuditEvent.id)).all()
        assert details[:2] == ["password set", "deactivated"]
