"""Each episode's stored last contact equals its recomputation from the records, after
every write: forms, corrections, voids, transfers, deletions (random histories), on both
backends; and the dashboard's no-contact list reads it."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from registry.extensions import db
from registry.models import DosingEvent, LabTest, OstEnrolment, TreatmentEpisode
from registry.schemas import AdmissionSchema, DoseSchema, LabTestSchema, OstEnrolmentSchema
from registry.schemas.amendments import CORRECTION_SCHEMAS, VoidSchema
from registry.services.amendments import correct_record, void_record
from registry.services.episodes import admit_client
from registry.services.lab import record_test
from registry.services.last_contact import last_contact, recompute
from registry.services.ost import enrol_client, record_dose
from registry.services.reminders import centre_reminders
from tests.registry.test_migrations import TDI3, _before_tdi3, empty_database_url  # noqa: F401, F811

START = date(2003, 1, 1)
EPISODE = TreatmentEpisode.__table__


def stored_and_recomputed(db_session) -> list[tuple[int, date | None, date]]:
    query = select(EPISODE.c.id, EPISODE.c.last_contact_date, last_contact(EPISODE))
    return [tuple(row) for row in db_session.execute(query.order_by(EPISODE.c.id))]


def assert_current(db_session) -> None:
    rows = stored_and_recomputed(db_session)
    assert rows, "no episodes to compare"
    assert [(i, stored) for i, stored, _ in rows] == [(i, again) for i, _, again in rows]


def admit(staff, clinic, admission_form, name: str, day: date, **extra):
    form = admission_form(family_name=name, admission_date=day.isoformat(), **extra)
    return admit_client(AdmissionSchema().load(form), actor=staff, centre=clinic)


@pytest.fixture
def world(db_session, actor, centre, admission_form):
    """Three clients, each admitted at both centres (one closed episode at RNC too) and
    enrolled on OST at RNC (the first) or OSH (the others)."""
    centres = [centre("RNC"), centre("OSH")]
    staff = {
        c.id: actor(name) for c, name in zip(centres, ("clinic-bishkek", "clinic-osh"), strict=True)
    }
    episodes, enrolments = [], []
    for i, name in enumerate(("Асанов", "Бекова", "Давлетов")):
        for clinic in centres:
            episodes.append(admit(staff[clinic.id], clinic, admission_form, name, START,
                                  programme="ost"))  # fmt: skip
        site = centres[0] if i == 0 else centres[1]
        form = {"medication": "methadone", "enrolment_date": START.isoformat()}
        enrolments.append(enrol_client(episodes[-1].client, OstEnrolmentSchema().load(form),
                                       actor=staff[site.id], centre=site))  # fmt: skip
    closed = episodes[0]  # a second, closed episode of the first client at RNC
    extra = TreatmentEpisode(**{
        column.key: getattr(closed, column.key) for column in EPISODE.columns
        if column.key not in ("id", "last_contact_date", "created_at", "updated_at")
    })  # fmt: skip
    extra.programme, extra.admission_date = "detoxification", START - timedelta(days=400)
    extra.discharge_date, extra.discharge_reason = START - timedelta(days=380), "completed"
    db_session.add(extra)
    db_session.commit()
    return centres, staff, enrolments


@pytest.mark.parametrize("seed", range(6))
def test_the_stored_last_contact_follows_random_histories(db_session, world, seed):
    """Doses (every kind), tests, their dates and kinds changed, rows deleted, tests and
    enrolments moved between clients and centres, admissions redated and removed: after
    each transaction, the stored value is the recomputed one."""
    rng = random.Random(seed)
    centres, _staff, enrolments = world
    clients = sorted({e.client_id for e in enrolments})

    def day() -> date:
        return START + timedelta(days=rng.randrange(-30, 400))

    for _step in range(20):
        for _change in range(rng.randint(1, 4)):
            doses = db_session.scalars(select(DosingEvent)).all()
            tests = db_session.scalars(select(LabTest)).all()
            episodes = db_session.scalars(select(TreatmentEpisode)).all()
            action = rng.choice(("dose", "dose", "test", "test", "redate", "rekind", "retest",
                                 "move_test", "drop_dose", "drop_test", "admission",
                                 "drop_episode", "transfer", "drop_enrolment"))  # fmt: skip
            if action == "dose":
                enrolment = rng.choice(enrolments)
                taken = {d.dose_date for d in doses if d.enrolment_id == enrolment.id}
                when = day()
                if when not in taken:
                    db_session.add(DosingEvent(
                        enrolment_id=enrolment.id, dose_date=when, dose_mg=Decimal("40"),
                        kind=rng.choice(("observed", "take_home", "missed", "withheld")),
                    ))  # fmt: skip
            elif action == "test":
                db_session.add(LabTest(client_id=rng.choice(clients),
                                       centre_id=rng.choice(centres).id,
                                       test=rng.choice(("HIV", "HCV", "TB")),
                                       sample_date=day(), result="negative"))  # fmt: skip
            elif action == "redate" and doses:
                dose = rng.choice(doses)
                taken = {d.dose_date for d in doses if d.enrolment_id == dose.enrolment_id}
                when = day()
                if when not in taken:
                    dose.dose_date = when
            elif action == "rekind" and doses:
                rng.choice(doses).kind = rng.choice(("observed", "take_home", "missed"))
            elif action == "retest" and tests:
                rng.choice(tests).sample_date = day()
            elif action == "move_test" and tests:
                test = rng.choice(tests)
                test.client_id, test.centre_id = rng.choice(clients), rng.choice(centres).id
            elif action == "drop_dose" and doses:
                db_session.delete(rng.choice(doses))
            elif action == "drop_test" and tests:
                db_session.delete(rng.choice(tests))
            elif action == "admission" and episodes:
                episode, when = rng.choice(episodes), day() - timedelta(days=400)
                if episode.discharge_date is None or when <= episode.discharge_date:
                    episode.admission_date = when
            elif action == "drop_episode" and len(episodes) > 1:
                episode = rng.choice(episodes)
                for enrolment in enrolments:
                    if enrolment.episode_id == episode.id:
                        enrolment.episode_id = None
                db_session.delete(episode)
            elif action == "transfer":
                enrolment = rng.choice(enrolments)
                enrolment.centre_id = rng.choice(centres).id
            elif action == "drop_enrolment" and len(enrolments) > 1:
                enrolment = enrolments.pop(rng.randrange(len(enrolments)))
                for dose in [d for d in doses if d.enrolment_id == enrolment.id]:
                    db_session.delete(dose)
                db_session.delete(enrolment)
        if rng.random() < 0.2:
            db_session.rollback()  # a refused form: nothing of it stays
            enrolments = [db_session.get(OstEnrolment, e.id) for e in enrolments]
            enrolments = [e for e in enrolments if e is not None]
        else:
            db_session.commit()
        assert_current(db_session)


def dose_form(day: date, kind: str = "observed") -> dict:
    return DoseSchema().load({"dose_date": day.isoformat(), "kind": kind, "dose_mg": "40"})


def correction(entity, record, **values):
    from registry.web.amendments import current_values

    form = {**current_values(entity, record), "amendment_reason": "typing_error", **values}
    form = {k: v for k, v in form.items() if v not in ("", None)}
    return CORRECTION_SCHEMAS[entity]().load(form)


VOID = {"amendment_reason": "wrong_client"}


def test_forms_corrections_and_voids_move_the_last_contact(db_session, world):
    (rnc, _osh), staff, enrolments = world
    enrolment, clerk = enrolments[0], staff[rnc.id]
    episode = db_session.scalar(select(TreatmentEpisode).where(
        TreatmentEpisode.client_id == enrolment.client_id, TreatmentEpisode.centre_id == rnc.id,
        TreatmentEpisode.discharge_date.is_(None)))  # fmt: skip

    def stored() -> date:
        db_session.commit()
        assert_current(db_session)
        return db_session.get(TreatmentEpisode, episode.id).last_contact_date

    assert stored() == START
    first = record_dose(enrolment, dose_form(START + timedelta(days=1)), actor=clerk)
    second = record_dose(enrolment, dose_form(START + timedelta(days=2)), actor=clerk)
    assert stored() == START + timedelta(days=2)
    correct_record("dosing_event", second, correction("dosing_event", second, kind="missed"),
                   actor=clerk)  # fmt: skip
    assert stored() == START + timedelta(days=1)  # a missed dose is no contact
    void_record("dosing_event", first, VoidSchema().load(VOID), actor=clerk)
    assert stored() == START
    test = record_test(enrolment.client, LabTestSchema().load(
        {"test": "HIV", "sample_date": (START + timedelta(days=9)).isoformat(),
         "result": "negative"}), actor=clerk, centre=rnc)  # fmt: skip
    assert stored() == START + timedelta(days=9)
    later = (START + timedelta(days=20)).isoformat()
    correct_record("lab_test", test, correction("lab_test", test, sample_date=later),
                   actor=clerk)  # fmt: skip
    assert stored() == START + timedelta(days=20)
    void_record("lab_test", test, VoidSchema().load(VOID), actor=clerk)
    assert stored() == START


def test_the_no_contact_list_reads_the_stored_date(db_session, world):
    (rnc, _osh), staff, enrolments = world
    today = START + timedelta(days=400)
    reminders = centre_reminders(staff[rnc.id], rnc.id, today)
    listed = {(r.client_id, r.since) for r in reminders.no_contact}
    assert listed == {(e.client_id, START) for e in enrolments}  # open episodes at RNC
    recent = {"test": "HCV", "sample_date": (today - timedelta(days=1)).isoformat(),
              "result": "negative"}  # fmt: skip
    record_test(enrolments[0].client, LabTestSchema().load(recent), actor=staff[rnc.id],
                centre=rnc)  # fmt: skip
    db_session.commit()
    reminders = centre_reminders(staff[rnc.id], rnc.id, today)
    assert {r.client_id for r in reminders.no_contact} == {e.client_id for e in enrolments[1:]}
    assert reminders.no_contact.total == 2


def test_the_migration_fills_the_last_contact_of_existing_episodes(empty_database_url):  # noqa: F811
    """An admission in May, an observed dose in June, a missed one in August and a test in
    July at the same centre: the last contact is the test's day."""
    app = _before_tdi3(empty_database_url)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", TDI3]).exit_code == 0
    rows = (
        "INSERT INTO ost_enrolments (id, client_id, centre_id, medication, enrolment_date,"
        " created_at, updated_at) VALUES (1, 1, 1, 'methadone', '2003-05-06',"
        " '2003-05-06 00:00:00+00:00', '2003-05-06 00:00:00+00:00')",
        "INSERT INTO ost_dosing_events (id, enrolment_id, dose_date, dose_mg, kind,"
        " take_home_days) VALUES (1, 1, '2003-06-01', 40, 'observed', 1),"
        " (2, 1, '2003-08-01', 40, 'missed', 1)",
        "INSERT INTO lab_tests (id, client_id, centre_id, test, sample_date, result,"
        " created_at, updated_at) VALUES (1, 1, 1, 'HIV', '2003-07-01', 'negative',"
        " '2003-07-01 00:00:00+00:00', '2003-07-01 00:00:00+00:00')",
    )
    with app.app_context(), db.engine.begin() as connection:
        for statement in rows:
            connection.execute(text(statement))
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        with db.engine.connect() as connection:
            stored = connection.execute(
                select(EPISODE.c.last_contact_date, last_contact(EPISODE))
            ).all()
        db.engine.dispose()
    assert [tuple(row) for row in stored] == [(date(2003, 7, 1), date(2003, 7, 1))]


def test_a_flush_touching_many_clients_recomputes_them_all(db_session, world):
    """More (client, centre) pairs than one SQLite expression can test (its depth limit
    is 1,000): the recomputation goes in several statements."""
    (rnc, _osh), _staff, enrolments = world
    db_session.execute(EPISODE.update().values(last_contact_date=None))
    db_session.commit()
    pairs = {(client, centre) for client in range(10_000, 11_500) for centre in (rnc.id,)}
    pairs |= {(e.client_id, e.centre_id) for e in enrolments}
    recompute(db_session.connection(), pairs)
    db_session.commit()
    query = select(EPISODE.c.client_id, EPISODE.c.centre_id, EPISODE.c.last_contact_date,
                   last_contact(EPISODE))  # fmt: skip
    rows = db_session.execute(query).all()
    assert [r for r in rows if (r[0], r[1]) in pairs] == [
        (c, k, again, again) for c, k, _, again in rows if (c, k) in pairs
    ]
    assert {r[2] for r in rows if (r[0], r[1]) not in pairs} == {None}  # the others: untouched


def test_the_bulk_demo_load_stores_every_last_contact(app, runner, tmp_path):
    """The simulator inserts episodes, doses and tests behind the session's back."""
    args = ["demo", "load", "--scale", "0.05", "--workers", "1", "--lists-out", str(tmp_path)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = stored_and_recomputed(db.session)
        assert len(rows) > 100
        assert [(i, stored) for i, stored, _ in rows] == [(i, again) for i, _, again in rows]
