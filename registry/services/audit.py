"""The audit trail: one append-only row per create, update or read of client-level data.

Public interface::

    ACTIONS = ("create", "update", "read", "delete", "login", "logout", "login_failed")
    record_event(actor: User | None, action: str, entity: str, entity_id: int | None, *,
                 centre_id: int | None = None, detail: str | None = None) -> AuditEvent
    AuditLogError           # raised on any attempt to update/delete an AuditEvent

``entity`` is the table-like name of the record ("client", "episode", "ost_enrolment",
"dosing_event", "dose_change", "lab_test", "user"). ``detail`` is a short machine note
made only of codes and ids (e.g. ``"programme=detoxification"``): never a name, a full
date of birth or free text typed by staff. Services call :func:`record_event`; web views
call it for the reads they perform (listings), inside their own transaction.
"""

from __future__ import annotations

from registry.extensions import db
from registry.models import AuditEvent, User
from registry.models.audit import AuditLogError

ACTIONS = ("create", "update", "read", "delete", "login", "logout", "login_failed")

__all__ = ["ACTIONS", "AuditLogError", "record_event"]


def record_event(
    actor: User | None,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    centre_id: int | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Add an audit row to the session (the caller's commit writes it) and return it.

    ``actor`` is the signed-in user (``None`` for an anonymous failed login).
    ``centre_id`` defaults to the actor's centre.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = AuditEvent(
        user_id=actor.id if actor is not None else None,
        username=actor.username if actor is not None else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        centre_id=centre_id if centre_id is not None else getattr(actor, "centre_id", None),
        detail=detail[:255] if detail else None,
    )
    db.session.add(event)
    return event
