"""Corrections and voids of client-level records: the amendment history.

A correction changes a record in place, so every reader (pages, analytics, studies)
sees the current version without knowing about amendments; the values it replaced are
kept here, field by field, old and new. A void ("entered in error") removes the record
from its table, so no reader can count it, and keeps its last values here in full.
Rows of this table are never changed or deleted: together they are the record's history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry.models.audit import AuditLogError
from registry.models.base import Base, utcnow

#: What an amendment did to its record.
CORRECT, VOID = "correct", "void"


class RecordAmendment(Base):
    """One correction or void of one record, by whom, when and why.

    ``entity`` names the record kind (``episode``, ``discharge``, ``ost_enrolment``,
    ``ost_exit``, ``dosing_event``, ``dose_change``, ``lab_test``) and ``record_id`` its
    row (a discharge is its episode's row, an OST exit its enrolment's). ``changes`` is
    ``{field: [old, new]}`` for a correction and ``{field: value}`` (the record as it was)
    for a void; values are codes, dates and numbers only, never identifying data. ``note``
    is the optional short note typed with the coded ``reason``.
    """

    __tablename__ = "record_amendments"
    __table_args__ = (
        Index("ix_record_amendments_record", "entity", "record_id"),
        Index("ix_record_amendments_client_centre", "client_id", "centre_id"),
        CheckConstraint("action IN ('correct', 'void')", name="action_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    entity: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    centre_id: Mapped[int] = mapped_column(ForeignKey("treatment_centres.id"))
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(100))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str | None] = mapped_column(String(64))


@event.listens_for(Session, "before_flush")
def _refuse_amendment_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse to flush an update or delete of an amendment: the history is append-only."""
    for instance in session.deleted:
        if isinstance(instance, RecordAmendment):
            raise AuditLogError("record amendments cannot be deleted")
    for instance in session.dirty:
        if isinstance(instance, RecordAmendment) and session.is_modified(instance):
            raise AuditLogError("record amendments cannot be changed")
