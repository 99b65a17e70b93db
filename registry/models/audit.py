"""Append-only audit log of every create, update and read of client-level data.

Append-only is enforced twice: an ORM ``before_flush`` guard refuses to flush an update
or delete of an :class:`AuditEvent`, and database triggers (SQLite and PostgreSQL)
refuse ``UPDATE``/``DELETE`` on ``audit_events`` from any client. The triggers are
attached to the table's ``after_create`` event, so ``db.create_all()`` installs them;
the initial migration installs the same SQL (:data:`TRIGGER_DDL`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.models.base import Base, utcnow


class AuditEvent(Base):
    """Who did what to which record, and when. Rows are never updated or deleted.

    ``username`` is copied so the trail survives a renamed or removed account.
    ``detail`` holds no identifying field, only codes and ids.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity", "entity_id"),
        CheckConstraint(
            "action IN ('create', 'update', 'read', 'delete', 'login', 'logout', 'login_failed')",
            name="action_name",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_centres.id"))
    detail: Mapped[str | None] = mapped_column(String(255))


class AuditLogError(RuntimeError):
    """Raised when code tries to update or delete an audit event."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse to flush an update or delete of an audit event (append-only)."""
    for instance in session.deleted:
        if isinstance(instance, AuditEvent):
            raise AuditLogError("audit events cannot be deleted")
    for instance in session.dirty:
        if isinstance(instance, AuditEvent) and session.is_modified(instance):
            raise AuditLogError("audit events cannot be changed")


#: Trigger SQL by dialect; the initial migration runs the same statements.
TRIGGER_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit_events is append-only'; END $$",
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    ),
}

for _dialect, _statements in TRIGGER_DDL.items():
    for _statement in _statements:
        event.listen(
            AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect)
        )
