"""The audit trail: one append-only row per create, update or read of client-level data.

Public interface::

    ACTIONS = ("create", "update", "read", "delete", "login", "logout", "login_failed")
    record_event(actor: User | None, action: str, entity: str, entity_id: int | None, *,
                 centre_id: int | None = None, detail: str | None = None) -> AuditEvent
    commit_read() -> None   # commit a request that only read (its audit rows), keeping
                            # what it loaded (nothing is expired)
    AuditLogError           # raised on any attempt to update/delete an AuditEvent
    WITHOUT_WAITING_EVENTS  # execution option: an AuditEvent query need not flush waiting rows

``entity`` is the table-like name of the record ("client", "episode", "ost_enrolment",
"dosing_event", "dose_change", "lab_test", "user"). ``detail`` is a short machine note
made only of codes and ids (e.g. ``"programme=detoxification"``): never a name, a full
date of birth or free text typed by staff. Services call :func:`record_event`; web views
call it for the reads they perform (listings), inside their own transaction.

An event waits outside the session until the transaction writes something else or
commits, so that a page which only reads writes its audit rows at its commit. On SQLite
the first write of a transaction takes the database's one write lock until the commit:
an audit row flushed by the next query of a page held that lock through the page's
remaining queries and its rendering, and every save and every other audited page of every
server process waited behind it (bench/request_cpu.py's "lock" column). A rollback
drops the waiting rows (a savepoint's rollback, only those recorded inside it). A query
of ``AuditEvent`` in the transaction still sees them (they are flushed first), unless it
is run with the execution option ``{WITHOUT_WAITING_EVENTS: True}`` because the rows it
looks for are never among them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event as sqla_event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from registry.extensions import db
from registry.models import AuditEvent, User
from registry.models.audit import AuditLogError
from registry.models.base import utcnow

ACTIONS = ("create", "update", "read", "delete", "login", "logout", "login_failed")

__all__ = ["ACTIONS", "WITHOUT_WAITING_EVENTS", "AuditLogError", "commit_read", "record_event"]


def record_event(
    actor: User | None,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    centre_id: int | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Add an audit row to the transaction (the caller's commit writes it) and return it.

    ``actor`` is the signed-in user (``None`` for an anonymous failed login).
    ``centre_id`` defaults to the actor's centre.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = AuditEvent(
        at=utcnow(),
        user_id=actor.id if actor is not None else None,
        username=actor.username if actor is not None else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        centre_id=centre_id if centre_id is not None else getattr(actor, "centre_id", None),
        detail=detail[:255] if detail else None,
    )
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(_WAITING, []).append(event)
    else:  # nothing read yet, so no transaction whose end would drop it
        session.add(event)
    return event


#: ``Session.info`` keys of the events recorded in the transaction (or savepoint) and not
#: yet added, and of those recorded outside the savepoints open now, innermost last.
_WAITING, _OUTSIDE = "audit_events_waiting", "audit_events_waiting_outside"


def _add_waiting(session: Session) -> None:
    waiting = session.info.pop(_WAITING, None)
    if waiting:
        session.add_all(waiting)


@sqla_event.listens_for(Session, "before_flush")
def _with_other_writes(session: Session, _context: Any, _instances: Any) -> None:
    """The transaction writes anyway (and holds the lock): its events go with it."""
    _add_waiting(session)


@sqla_event.listens_for(Session, "before_commit")
def _at_commit(session: Session) -> None:
    _add_waiting(session)


#: Execution option of an ``AuditEvent`` query that need not see the waiting events.
WITHOUT_WAITING_EVENTS = "audit_without_waiting_events"


@sqla_event.listens_for(Session, "do_orm_execute")
def _before_audit_query(state: ORMExecuteState) -> None:
    """A query of the audit rows sees those of its own transaction."""
    session = state.session
    if (
        session.info.get(_WAITING)
        and not state.execution_options.get(WITHOUT_WAITING_EVENTS)
        and any(mapper.class_ is AuditEvent for mapper in state.all_mappers)
    ):
        _add_waiting(session)
        session.flush()


@sqla_event.listens_for(Session, "after_transaction_create")
def _savepoint_begins(session: Session, transaction: SessionTransaction) -> None:
    """Events recorded before a savepoint wait outside it: its rollback keeps them."""
    if transaction.nested:
        session.info.setdefault(_OUTSIDE, []).append(session.info.pop(_WAITING, []))


@sqla_event.listens_for(Session, "after_transaction_end")
def _drop_at_rollback(session: Session, transaction: SessionTransaction) -> None:
    """A rolled-back transaction or savepoint writes none of its own events (a commit or
    a released savepoint has added them)."""
    if transaction.nested:
        outside = session.info.get(_OUTSIDE)
        session.info[_WAITING] = outside.pop() if outside else []
    elif transaction.parent is None:
        session.info.pop(_WAITING, None)
        session.info.pop(_OUTSIDE, None)


def commit_read() -> None:
    """Commit a request that only read, writing its audit rows, without expiring what it
    loaded.

    A plain commit expires every object in the session so that the next access reads it
    again: a page already rendered never reads them again, and expiring them cost 1.8 %
    of the server's CPU under load, most on the pages that list a few hundred rows (a page
    rendered after the commit, such as the ministry dashboard, read its user again too).
    Call it only where the transaction changed nothing but audit rows.
    """
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
