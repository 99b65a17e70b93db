"""Each treatment episode's last contact at its centre, stored and kept current.

Public interface::

    last_contact(episodes: Table) -> ColumnElement  # the value, computed from the records
    recompute(connection, pairs=None) -> None   # store it for (client id, centre id) pairs,
                                                # or for every episode when pairs is None
    track_last_contact() -> None                # install the session listeners (once)

The last contact of an episode (``TreatmentEpisode.last_contact_date``) is the latest of
its admission date, the last dose given (observed or take-home) to its client at its
centre, on any OST enrolment there, and the last test of its client at its centre. The
dashboard's no-contact reminders (:mod:`registry.services.reminders`) read it as a range
of an index instead of visiting every open episode of the centre.

It is kept by the ORM session: a flush that adds, changes or deletes an episode, an OST
enrolment, a dosing event or a test (a form, a correction, a void, a transfer) recomputes
it, from the records, for every (client, centre) that the flush touched, before and after
the change, in the same transaction. Writes that bypass the session (the simulator's bulk
load) call :func:`recompute` after them; the migration that added the column filled it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, and_, case, event, func, inspect, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import ColumnElement

from registry.models import DosingEvent, LabTest, OstEnrolment, TreatmentEpisode
from registry.services.ost import GIVEN_KINDS

#: The attributes of each model whose change moves a last contact.
WATCHED: dict[type, tuple[str, ...]] = {
    TreatmentEpisode: ("client_id", "centre_id", "admission_date"),
    LabTest: ("client_id", "centre_id", "sample_date"),
    OstEnrolment: ("client_id", "centre_id"),
    DosingEvent: ("enrolment_id", "dose_date", "kind"),
}
_TOUCHED, _BEFORE = "last_contact_touched", "last_contact_before_flush"
#: (client, centre) pairs per UPDATE: an ``OR`` of many nests deeper than SQLite allows.
PAIRS_PER_STATEMENT = 200


def last_contact(episodes: Table) -> ColumnElement[Any]:
    """The last contact of each row of ``episodes`` (the episodes table or an alias)."""
    dose = (
        select(func.max(DosingEvent.dose_date))
        .join(OstEnrolment, OstEnrolment.id == DosingEvent.enrolment_id)
        .where(
            OstEnrolment.client_id == episodes.c.client_id,
            OstEnrolment.centre_id == episodes.c.centre_id,
            DosingEvent.kind.in_(GIVEN_KINDS),
        )
        .scalar_subquery()
    )
    test = (
        select(func.max(LabTest.sample_date))
        .where(LabTest.client_id == episodes.c.client_id, LabTest.centre_id == episodes.c.centre_id)
        .scalar_subquery()
    )
    admitted = episodes.c.admission_date
    return _later(_later(admitted, func.coalesce(dose, admitted)), func.coalesce(test, admitted))


def _later(first: Any, second: Any) -> Any:
    """The later of two dates in SQL (``greatest`` is not in SQLite)."""
    return case((first >= second, first), else_=second)


def recompute(connection: Connection, pairs: set[tuple[int, int]] | None = None) -> None:
    """Store the last contact of the episodes of each (client id, centre id), or of all.

    A derived value, not an edit of the episode: ``updated_at`` keeps its value (its
    ``onupdate`` would otherwise stamp every episode touched with the time of the write).
    """
    table = TreatmentEpisode.__table__
    statement = update(table).values(
        last_contact_date=last_contact(table), updated_at=table.c.updated_at
    )
    if pairs is None:
        connection.execute(statement)
        return
    ordered = sorted(pairs)
    for start in range(0, len(ordered), PAIRS_PER_STATEMENT):  # SQLite's expression depth
        chunk = ordered[start : start + PAIRS_PER_STATEMENT]
        connection.execute(statement.where(
            or_(*(and_(table.c.client_id == c, table.c.centre_id == k) for c, k in chunk))
        ))  # fmt: skip


def _pairs(session: Session, instance: Any) -> set[tuple[int, int]]:
    """The (client, centre) pairs ``instance`` counts for now and counted for before."""
    dose = isinstance(instance, DosingEvent)
    values = {}
    for name in ("enrolment_id",) if dose else ("client_id", "centre_id"):
        history = _history(instance, name)
        values[name] = {*history.added, *history.unchanged, *history.deleted}
        if not values[name]:  # not loaded
            values[name] = {getattr(instance, name)}
    if dose:
        return {pair for eid in values["enrolment_id"] if eid for pair in _enrolment(session, eid)}
    return {(c, k) for c in values["client_id"] for k in values["centre_id"] if c and k}


def _history(instance: Any, name: str) -> Any:
    return inspect(instance).attrs[name].history


def _enrolment(session: Session, enrolment_id: int) -> set[tuple[int, int]]:
    known = session.identity_map.get(identity_key(OstEnrolment, enrolment_id))
    if known is not None:
        return _pairs(session, known)
    row = (
        session.connection()
        .execute(
            select(OstEnrolment.client_id, OstEnrolment.centre_id).where(
                OstEnrolment.id == enrolment_id
            )
        )
        .first()
    )
    return {(row.client_id, row.centre_id)} if row else set()


def _changed(instance: Any, watched: tuple[str, ...]) -> bool:
    return any(_history(instance, name).has_changes() for name in watched)


def _touched(session: Session, groups: tuple[Any, ...]) -> set[tuple[int, int]]:
    """The pairs of the watched instances of ``groups`` (dirty ones: if a watched
    attribute changed)."""
    touched: set[tuple[int, int]] = set()
    for group in groups:
        for instance in group:
            watched = WATCHED.get(type(instance))
            if watched and (group is not session.dirty or _changed(instance, watched)):
                touched |= _pairs(session, instance)
    return touched


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Deleted and changed rows still hold their old values: their pairs, now."""
    before = _touched(session, (session.deleted, session.dirty))
    if before:
        session.info.setdefault(_BEFORE, set()).update(before)


def _after_flush(session: Session, _context: Any) -> None:
    """New rows have their ids and foreign keys now: recompute every pair touched."""
    touched = _touched(session, (session.new, session.dirty)) | session.info.pop(_BEFORE, set())
    if touched:
        recompute(session.connection(), touched)
        session.info.setdefault(_TOUCHED, set()).update(touched)


def _expire_stored(session: Session, _context: Any) -> None:
    """Loaded episodes of the recomputed pairs read the new value on next access."""
    touched = session.info.pop(_TOUCHED, None)
    if not touched:
        return
    for instance in list(session.identity_map.values()):
        if isinstance(instance, TreatmentEpisode) and (
            (instance.client_id, instance.centre_id) in touched
        ):
            session.expire(instance, ["last_contact_date"])


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_BEFORE, None)
    session.info.pop(_TOUCHED, None)


def track_last_contact() -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_flush_postexec", _expire_stored)
        event.listen(Session, "after_soft_rollback", _forget)
