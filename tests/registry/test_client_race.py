"""Two desks saving the same new person at the same moment get one client, not an error.

The other desk is a second database connection that has inserted the client and not yet
committed; our request runs in a thread that must wait for it. The test commits the other
desk only once that thread has sent its own insert (it looked the code up before the
commit and found nothing), and on PostgreSQL only once the thread is blocked on the row
lock, so the race is exercised every time, on both backends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import event, func, insert, select, text

from registry.extensions import db
from registry.models import AuditEvent, Client
from registry.services.client_codes import ClientIdentifiers
from registry.services.clients import code_for, find_or_create_client

PERSON = ClientIdentifiers("Асанов", "Бакыт", date(1979, 4, 2), "M")


@contextmanager
def _inserts_from_other_threads(engine) -> Iterator[threading.Event]:
    """An event set when a thread other than this one sends ``INSERT INTO clients``."""
    here = threading.get_ident()
    sent = threading.Event()

    def before_execute(_conn, _cursor, statement: str, *_args) -> None:
        if threading.get_ident() != here and statement.lstrip().startswith("INSERT INTO clients"):
            sent.set()

    event.listen(engine, "before_cursor_execute", before_execute)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", before_execute)


def _wait_until_blocked(connection, backend: str) -> None:
    if backend != "postgresql":
        return  # SQLite: the insert waits for the write lock (busy timeout), not observable
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(1200):  # a minute at most, on a loaded machine
        blocked = connection.execute(waiting).scalar()
        connection.rollback()  # pg_stat_activity is a snapshot per transaction
        if blocked:
            return
        time.sleep(0.05)
    raise AssertionError("the second desk never waited for the first one's insert")


def test_a_client_saved_at_the_same_moment_by_another_desk_is_reused(
    app, backend, db_session, actor
):
    staff = actor("clinic-bishkek")
    staff_id = staff.id
    code = code_for(PERSON)
    outcome: dict = {}

    def second_desk() -> None:
        with app.app_context():
            try:
                from registry.models import User

                client, created = find_or_create_client(
                    PERSON, region=None, actor=db.session.get(User, staff_id)
                )
                outcome.update(client_id=client.id, created=created)
                db.session.commit()
            except Exception as error:  # the assertion below reports it
                outcome["error"] = error
                db.session.rollback()

    with (
        db.engine.connect() as first_desk,
        db.engine.connect() as observer,
        _inserts_from_other_threads(db.engine) as second_desk_inserts,
    ):
        first_desk.execute(
            insert(Client).values(code=code, sex="M", birth_year=1979, region_id=None)
        )
        thread = threading.Thread(target=second_desk)
        thread.start()
        assert second_desk_inserts.wait(timeout=60), "the second desk never tried to insert"
        _wait_until_blocked(observer, backend)
        first_desk.commit()
        thread.join(timeout=60)

    assert "error" not in outcome, outcome.get("error")
    assert outcome["created"] is False
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Client)) == 1
    assert db_session.scalar(select(Client.id).where(Client.code == code)) == outcome["client_id"]
    audited = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "client")
    ).all()
    assert audited == ["read"]


def test_a_new_client_is_created_once_and_audited_as_created(db_session, actor):
    client, created = find_or_create_client(PERSON, region=None, actor=actor("clinic-bishkek"))
    again, created_again = find_or_create_client(PERSON, region=None, actor=actor("clinic-bishkek"))
    assert created and not created_again and again.id == client.id
    assert client.code == code_for(PERSON) and client.birth_year == 1979 and client.sex == "M"
    assert client.created_at is not None
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "client").order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "read"]


def test_the_same_episode_saved_at_the_same_moment_by_another_desk_is_refused_by_name(
    app, backend, db_session, actor, centre, admission_form
):
    """An existing client: both desks pass the overlap check, the other desk's episode is
    inserted first; ours meets the open-programme index and becomes a form error that
    names the client (on PostgreSQL the insert waits on the index, on SQLite on the lock).
    """
    from registry.models import TreatmentEpisode, User
    from registry.schemas import AdmissionSchema
    from registry.services.episodes import admit_client
    from registry.services.errors import ClientAlreadyAdmittedError

    staff_id, rnc_id = actor("clinic-bishkek").id, centre("RNC").id
    first = admit_client(
        AdmissionSchema().load(admission_form(programme="outpatient")),
        actor=actor("clinic-bishkek"),
        centre=centre("RNC"),
    )
    db_session.commit()
    client_id = first.client_id
    other_desk_episode = {
        column.name: getattr(first, column.name)
        for column in TreatmentEpisode.__table__.columns
        if column.name not in ("id", "programme")
    }
    outcome: dict = {}

    def second_desk() -> None:
        with app.app_context():
            from registry.models import TreatmentCentre

            try:
                admit_client(
                    AdmissionSchema().load(admission_form()),
                    actor=db.session.get(User, staff_id),
                    centre=db.session.get(TreatmentCentre, rnc_id),
                )
                outcome["saved"] = True
            except ClientAlreadyAdmittedError as error:
                outcome.update(client_id=error.client_id, just_created=error.just_created)
                outcome["field"] = error.field
            except Exception as error:  # the assertion below reports it
                outcome["error"] = error
            finally:
                db.session.rollback()

    with db.engine.connect() as first_desk, db.engine.connect() as observer:
        first_desk.execute(
            insert(TreatmentEpisode).values(**other_desk_episode, programme="detoxification")
        )
        thread = threading.Thread(target=second_desk)
        thread.start()
        _wait_until_blocked(observer, backend)
        first_desk.commit()
        thread.join(timeout=30)

    assert "error" not in outcome, outcome.get("error")
    assert outcome == {"client_id": client_id, "just_created": False, "field": "programme"}
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(TreatmentEpisode)) == 2
