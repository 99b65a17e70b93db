"""User accounts: creation rules, argon2 hashes, authentication and its audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.models import AuditEvent, User
from registry.services import ServiceError
from registry.services.users import authenticate, create_user, record_logout, set_locale


def test_create_user_hashes_with_argon2(db_session, centre):
    user = create_user("nurse.osh", "correct horse", "clinic_staff", centre("OSH"))
    assert user.id and user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("a", "long-enough-1", "admin"), "username"),
        (("Bad Name", "long-enough-1", "admin"), "username"),
        (("admin", "long-enough-1", "admin"), "username"),  # taken (fixture user)
        (("newbie", "short", "admin"), "password"),
        (("newbie", "long-enough-1", "root"), "role"),
        (("newbie", "long-enough-1", "clinic_staff"), "centre"),
    ],
)
def test_create_user_rules(db_session, registry_data, args, field):
    with pytest.raises(ServiceError) as error:
        create_user(*args)
    assert error.value.field == field


def test_only_clinic_staff_have_a_centre(db_session, centre):
    with pytest.raises(ServiceError) as error:
        create_user("epi2", "long-enough-1", "epidemiologist", centre("RNC"))
    assert error.value.field == "centre"


def test_demo_may_skip_the_length_policy(db_session):
    assert create_user("demo-user", "demo", "ministry", enforce_policy=False).id


def test_authenticate_success_and_failures_are_audited(db_session, registry_data):
    assert authenticate("Clinic-Osh ", registry_data.password).username == "clinic-osh"
    assert authenticate("clinic-osh", "wrong password") is None
    assert authenticate("nobody", registry_data.password) is None
    db_session.commit()
    events = db_session.execute(
        select(AuditEvent.action, AuditEvent.username, AuditEvent.detail).order_by(AuditEvent.id)
    ).all()
    assert events == [
        ("login", "clinic-osh", None),
        ("login_failed", "clinic-osh", None),
        ("login_failed", None, "unknown username"),
    ]


def test_inactive_users_cannot_log_in(db_session, registry_data):
    user = db_session.get(User, registry_data.users["epi"])
    user.active = False
    assert authenticate("epi", registry_data.password) is None


def test_typed_passwords_never_reach_the_audit_log(db_session, registry_data):
    authenticate(registry_data.password, registry_data.password)  # password in the name box
    db_session.commit()
    rows = db_session.execute(select(AuditEvent.username, AuditEvent.detail)).all()
    assert registry_data.password not in repr(rows)


def test_logout_and_locale(db_session, actor):
    user = actor("clinic-bishkek")
    record_logout(user)
    set_locale(user, "en")
    db_session.commit()
    assert user.locale == "en"
    assert db_session.scalar(select(AuditEvent.action)) == "logout"
    with pytest.raises(ServiceError):
        set_locale(user, "fr")


def test_production_hashes_use_the_rfc_9106_low_memory_profile(tmp_path):
    from registry import create_app
    from registry.services.users import hash_password
    from tests.conftest import TEST_SECRETS

    settings = {"DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}", **TEST_SECRETS}
    with create_app(settings).app_context():
        hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_hash_of_the_cheap_test_profile_is_upgraded_at_the_next_sign_in(tmp_path):
    from registry import create_app
    from registry.extensions import db
    from registry.services.users import hash_password, verify_password
    from tests.conftest import FAST_HASHES, TEST_SECRETS

    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    with create_app(
        {"TESTING": True, "DATABASE_URL": url, **TEST_SECRETS, **FAST_HASHES}
    ).app_context():
        cheap = hash_password("correct horse")
    user = User(username="x", password_hash=cheap, role="admin")
    with create_app({"DATABASE_URL": url, **TEST_SECRETS}).app_context():
        assert verify_password(user, "correct horse")
        assert not verify_password(user, "wrong horse")
        db.session.rollback()
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"PASSWORD_HASH_PROFILE": "CHEAPEST"}, "for the test suite only"),
        ({"PASSWORD_HASH_PROFILE": "bcrypt", "TESTING": True}, "must be one of"),
    ],
)
def test_the_cheap_profile_and_unknown_profiles_are_refused(tmp_path, settings, message):
    from registry import create_app
    from registry.config import ConfigError
    from tests.conftest import TEST_SECRETS

    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    with pytest.raises(ConfigError, match=message):
        create_app({"DATABASE_URL": url, **TEST_SECRETS, **settings})
