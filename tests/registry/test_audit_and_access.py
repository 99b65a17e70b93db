"""The audit trail is written and append-only; access is denied by default."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from registry.models import AuditEvent, User
from registry.services.access import (
    AccessDenied,
    can_access_centre,
    can_use_clinic_forms,
    ensure_centre_access,
)
from registry.services.audit import AuditLogError, record_event


def test_record_event_copies_who_and_where(db_session, actor, registry_data):
    staff = actor("clinic-osh")
    event = record_event(staff, "read", "client", 7, detail="lookup")
    db_session.commit()
    stored = db_session.get(AuditEvent, event.id)
    assert (stored.user_id, stored.username, stored.action) == (staff.id, "clinic-osh", "read")
    assert (stored.entity, stored.entity_id, stored.detail) == ("client", 7, "lookup")
    assert stored.centre_id == registry_data.centres["OSH"] and stored.at is not None


def test_unknown_actions_are_refused(db_session):
    with pytest.raises(ValueError):
        record_event(None, "export", "client", 1)


def test_orm_refuses_to_change_or_delete_audit_events(db_session, actor):
    event = record_event(actor("admin"), "read", "client", 1)
    db_session.commit()
    event.detail = "tampered"
    with pytest.raises(AuditLogError):
        db_session.flush()
    db_session.rollback()
    db_session.delete(db_session.get(AuditEvent, event.id))
    with pytest.raises(AuditLogError):
        db_session.flush()
    db_session.rollback()
    assert db_session.get(AuditEvent, event.id).detail is None


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET detail = 'tampered'", "DELETE FROM audit_events"]
)
def test_database_refuses_to_change_or_delete_audit_events(db_session, actor, statement):
    record_event(actor("admin"), "read", "client", 1)
    db_session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        db_session.execute(text(statement))
    db_session.rollback()
    assert db_session.scalars(select(AuditEvent.detail)).all() == [None]


ROLE_MATRIX = [
    # username, may use clinic forms, may access RNC, may access OSH
    ("admin", True, True, True),
    ("clinic-bishkek", True, True, False),
    ("clinic-osh", True, False, True),
    ("epi", False, False, False),
    ("ministry", False, False, False),
]


@pytest.mark.parametrize(("username", "forms", "rnc", "osh"), ROLE_MATRIX)
def test_access_matrix(db_session, actor, registry_data, username, forms, rnc, osh):
    user = actor(username)
    assert can_use_clinic_forms(user) is forms
    assert can_access_centre(user, registry_data.centres["RNC"]) is rnc
    assert can_access_centre(user, registry_data.centres["OSH"]) is osh
    for centre, allowed in (("RNC", rnc), ("OSH", osh)):
        if allowed:
            ensure_centre_access(user, registry_data.centres[centre])
        else:
            with pytest.raises(AccessDenied):
                ensure_centre_access(user, registry_data.centres[centre])


def test_anonymous_inactive_and_unknown_centre_are_denied(db_session, actor, registry_data):
    assert not can_use_clinic_forms(None)
    assert not can_access_centre(None, registry_data.centres["RNC"])
    admin = actor("admin")
    assert not can_access_centre(admin, None)
    admin.active = False
    assert not can_use_clinic_forms(admin)
    assert not can_access_centre(admin, registry_data.centres["RNC"])


def test_role_strings_are_not_trusted_loosely(db_session):
    stranger = User(username="x", password_hash="x", role="Admin", active=True)
    assert not can_use_clinic_forms(stranger)
