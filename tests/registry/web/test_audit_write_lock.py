"""A page that only reads writes its audit rows at its commit, not while it is built.

On SQLite the first write of a transaction takes the database's one write lock until the
commit. An audit row flushed by the page's next query held that lock through the rest of
the page (the dashboard's reminders, the rendering), and every save and every audited page
of every server process waited behind it (issue 12 §5). The page is still audited.
"""

from __future__ import annotations

import sqlite3

import pytest
from flask import before_render_template
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from registry.extensions import db
from registry.models import AuditEvent, User
from registry.services.audit import commit_read, record_event

WRITES = ("INSERT", "UPDATE", "DELETE")
PAGES = ("/dashboard", "/clients/{client_id}", "/ost/today", "/ost/{enrolment_id}/doses/new")


@pytest.mark.parametrize("page", PAGES)
def test_a_read_page_writes_nothing_until_it_is_rendered(
    app, backend, rnc_staff, rnc_records, page
):
    path = page.format(client_id=rnc_records.client_id, enrolment_id=rnc_records.enrolment_id)
    with app.app_context():
        engine = db.engine
        audited = db.session.scalar(select(func.count()).select_from(AuditEvent))
    writes: list[str] = []
    at_render: list[tuple[list[str], bool | None]] = []

    def statement(_connection, _cursor, sql: str, *_args) -> None:  # noqa: ANN001
        if sql.lstrip()[:6].upper() in WRITES:
            writes.append(sql)

    def rendering(*_args, **_extra) -> None:
        at_render.append(
            (list(writes), another_writer_can_start(engine) if backend == "sqlite" else None)
        )

    event.listen(engine, "before_cursor_execute", statement)
    before_render_template.connect(rendering, app)
    try:
        response = rnc_staff.client.get(path)
    finally:
        before_render_template.disconnect(rendering, app)
        event.remove(engine, "before_cursor_execute", statement)
    assert response.status_code == 200
    written_before, free = at_render[0]
    assert written_before == []
    assert free in (True, None)  # SQLite: no write lock held while the page was built
    with app.app_context():  # still audited: the rows came with the commit
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) > audited
    assert any("audit_events" in sql for sql in writes)


def another_writer_can_start(engine) -> bool:  # noqa: ANN001
    """Whether a second connection to the SQLite file gets the write lock at once."""
    other = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:  # database is locked
        return False
    finally:
        other.close()


def test_a_rolled_back_transaction_writes_none_of_its_events(db_session, actor):
    staff = actor("clinic-osh")  # a transaction begins
    record_event(staff, "read", "client", 7)
    db_session.rollback()
    record_event(actor("clinic-osh"), "read", "client", 8)
    db_session.commit()
    ids = db_session.scalars(select(AuditEvent.entity_id).where(AuditEvent.entity == "client"))
    assert list(ids) == [8]


def test_events_go_with_the_other_writes_of_their_transaction(db_session, actor):
    staff = actor("clinic-osh")
    staff.locale = "ru" if staff.locale != "ru" else "en"  # a write of the same transaction
    written = record_event(staff, "update", "user", staff.id)
    db_session.flush()
    assert written.id is not None  # written with that flush, before the commit
    db_session.commit()
    assert db_session.get(AuditEvent, written.id).entity == "user"


def test_a_rolled_back_savepoint_keeps_the_events_recorded_before_it(db_session, actor):
    """As when the events were flushed before the savepoint began (admissions at two
    desks use one: its failure must not lose the reads audited before it)."""
    staff = actor("clinic-osh")
    record_event(staff, "read", "client", 7)
    with pytest.raises(IntegrityError), db_session.begin_nested():
        record_event(staff, "read", "client", 8)  # the savepoint's own: rolled back
        db_session.add(User(username=staff.username, password_hash="x", role="admin"))
        db_session.flush()  # a second user of the same name: refused
    db_session.commit()
    ids = db_session.scalars(select(AuditEvent.entity_id).where(AuditEvent.entity == "client"))
    assert list(ids) == [7]


def test_a_read_commit_writes_its_events_and_keeps_what_was_loaded(db_session, actor):
    """``commit_read``: the page is built, so nothing it loaded is expired (and read
    again if touched); a later commit expires as before."""
    staff = actor("clinic-osh")
    record_event(staff, "read", "client", 9)
    statements: list[str] = []
    engine = db_session.get_bind()

    def statement(_connection, _cursor, sql: str, *_args) -> None:  # noqa: ANN001
        statements.append(sql)

    event.listen(engine, "before_cursor_execute", statement)
    try:
        commit_read()
        written = list(statements)
        statements.clear()
        assert staff.username  # still loaded: no SELECT
        assert statements == []
        assert db_session().expire_on_commit is True
        db_session.commit()
        assert staff.username  # a plain commit expired it: read again
        assert any(sql.lstrip().upper().startswith("SELECT") for sql in statements)
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    assert any("audit_events" in sql for sql in written)
    ids = db_session.scalars(select(AuditEvent.entity_id).where(AuditEvent.entity == "client"))
    assert list(ids) == [9]
