"""Corrections and voids of every record kind, through the services: the old value is
kept in the history, the record (and analytics) read the new one, the audit row and an
analytics change are written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from registry.analytics import sql
from registry.analytics.cache import data_version
from registry.analytics.periods import parse_period
from registry.models import (
    AnalyticsChange,
    AuditEvent,
    DoseChange,
    DosingEvent,
    LabTest,
    OstEnrolment,
    RecordAmendment,
    TreatmentEpisode,
)
from registry.schemas import (
    AdmissionSchema,
    DischargeSchema,
    DoseChangeSchema,
    DoseSchema,
    LabTestSchema,
    OstEnrolmentSchema,
    OstExitSchema,
)
from registry.schemas.amendments import CORRECTION_SCHEMAS, VoidSchema
from registry.services import ServiceError
from registry.services.amendments import correct_record, history, void_record, voided
from registry.services.episodes import admit_client, discharge_episode
from registry.services.lab import record_test
from registry.services.ost import change_dose, enrol_client, exit_ost, record_dose

WHY = {"amendment_reason": "typing_error"}
WRONG = {"amendment_reason": "wrong_client", "amendment_note": "duplicate card"}


@pytest.fixture
def bishkek(db_session, actor, centre, admission_form):
    """(staff, centre, episode): a client admitted to OST at RNC in 2003."""
    staff, rnc = actor("clinic-bishkek"), centre("RNC")
    form = admission_form(programme="ost", admission_date="2003-05-06")
    episode = admit_client(AdmissionSchema().load(form), actor=staff, centre=rnc)
    db_session.commit()
    return staff, rnc, episode


def correction(entity, record, **values):
    """The correction form as the page posts it: the current values, with ``values``."""
    from registry.web.amendments import current_values

    form = {**current_values(entity, record), **WHY, **values}
    form = {k: v for k, v in form.items() if v not in ("", None)}
    return CORRECTION_SCHEMAS[entity]().load(form)


def changes_made(db_session):
    return db_session.scalar(select(func.count()).select_from(AnalyticsChange))


def audit_of(db_session, amendment):
    return db_session.scalar(
        select(AuditEvent).where(AuditEvent.detail.like(f"% amendment={amendment.id}%"))
    )


def only_amendment(db_session):
    return db_session.scalar(select(RecordAmendment))


def test_correcting_an_admission_item_keeps_the_old_value(db_session, bishkek):
    staff, rnc, episode = bishkek
    before = changes_made(db_session)
    amendment = correct_record(
        "episode", episode, correction("episode", episode, education="4"), actor=staff
    )
    db_session.commit()
    assert db_session.get(TreatmentEpisode, episode.id).education == "4"
    kept = only_amendment(db_session)
    assert (kept.action, kept.entity, kept.record_id, kept.reason) == (
        "correct", "episode", episode.id, "typing_error")  # fmt: skip
    assert kept.changes == {"education": ["3", "4"]}
    assert kept.username == "clinic-bishkek"
    assert history(episode.client_id, rnc.id) == {("episode", episode.id): [kept]}
    event = audit_of(db_session, amendment)
    assert (event.action, event.entity, event.entity_id) == ("update", "episode", episode.id)
    assert "fields=education" in event.detail
    assert changes_made(db_session) == before + 1


def test_nothing_changed_is_refused_and_nothing_written(db_session, bishkek):
    staff, _rnc, episode = bishkek
    with pytest.raises(ServiceError, match="Ничего не изменено|Nothing was changed"):
        correct_record("episode", episode, correction("episode", episode), actor=staff)
    db_session.rollback()
    assert only_amendment(db_session) is None


def test_a_correction_obeys_the_admission_rules(db_session, bishkek):
    staff, _rnc, episode = bishkek  # age 23 at admission
    with pytest.raises(ServiceError) as error:
        correct_record(
            "episode",
            episode,
            correction("episode", episode, age_first_injection="30"),
            actor=staff,
        )
    assert error.value.field == "age_first_injection"
    db_session.rollback()
    assert db_session.get(TreatmentEpisode, episode.id).age_first_injection == 20


def test_voiding_an_admission_removes_it_from_the_entrant_count(db_session, bishkek):
    staff, rnc, episode = bishkek
    year = parse_period("2003", today=date(2026, 1, 1))
    assert sum(sql.family_counts("entrants", year)["2003"].values()) > 0
    version = data_version()
    client_id, episode_id = episode.client_id, episode.id
    amendment = void_record("episode", episode, VoidSchema().load(WRONG), actor=staff)
    db_session.commit()
    assert db_session.get(TreatmentEpisode, episode_id) is None
    assert sum(sql.family_counts("entrants", year)["2003"].values()) == 0
    assert data_version() != version  # the cached counts are not reused
    kept = only_amendment(db_session)
    assert kept.changes["education"] == "3"
    assert kept.changes["admission_date"] == "2003-05-06"
    assert (kept.reason, kept.note) == ("wrong_client", "duplicate card")
    assert voided(client_id, rnc.id) == [kept]
    event = audit_of(db_session, amendment)
    assert (event.action, event.entity, event.entity_id) == ("delete", "episode", episode_id)


def test_discharge_correction_and_void_reopen(db_session, bishkek):
    staff, _rnc, episode = bishkek
    discharge_episode(
        episode,
        DischargeSchema().load({"discharge_date": "2003-06-01", "discharge_reason": "dropped_out"}),
        actor=staff,
    )
    db_session.commit()
    correct_record(
        "discharge", episode, correction("discharge", episode, discharge_date="2003-06-03"),
        actor=staff,
    )  # fmt: skip
    db_session.commit()
    assert episode.discharge_date == date(2003, 6, 3)
    void_record("discharge", episode, VoidSchema().load(WRONG), actor=staff)
    db_session.commit()
    assert episode.is_open
    first, second = db_session.scalars(select(RecordAmendment).order_by(RecordAmendment.id))
    assert first.changes == {"discharge_date": ["2003-06-01", "2003-06-03"]}
    assert second.changes == {"discharge_date": "2003-06-03", "discharge_reason": "dropped_out"}


def test_a_discharge_of_an_open_episode_cannot_be_amended(db_session, bishkek):
    staff, _rnc, episode = bishkek
    with pytest.raises(ServiceError):
        void_record("discharge", episode, VoidSchema().load(WRONG), actor=staff)


@pytest.fixture
def enrolment(db_session, bishkek):
    staff, rnc, episode = bishkek
    enrolment = enrol_client(
        episode.client,
        OstEnrolmentSchema().load(
            {"medication": "methadone", "enrolment_date": "2003-05-07", "induction_dose_mg": "20"}
        ),
        actor=staff,
        centre=rnc,
    )
    db_session.commit()
    return enrolment


def test_enrolment_correction_and_void_with_its_doses(db_session, bishkek, enrolment):
    staff, _rnc, _episode = bishkek
    record_dose(enrolment, DoseSchema().load(
        {"dose_date": "2003-05-08", "kind": "observed", "dose_mg": "20"}), actor=staff)  # fmt: skip
    db_session.commit()
    with pytest.raises(ServiceError) as error:  # after the first dose
        correct_record("ost_enrolment", enrolment,
                       correction("ost_enrolment", enrolment, enrolment_date="2003-05-09"),
                       actor=staff)  # fmt: skip
    assert error.value.field == "enrolment_date"
    db_session.rollback()
    correct_record("ost_enrolment", enrolment,
                   correction("ost_enrolment", enrolment, first_maintenance_date="2003-05-20"),
                   actor=staff)  # fmt: skip
    db_session.commit()
    assert enrolment.first_maintenance_date == date(2003, 5, 20)
    enrolment_id = enrolment.id
    void_record("ost_enrolment", enrolment, VoidSchema().load(WRONG), actor=staff)
    db_session.commit()
    assert db_session.get(OstEnrolment, enrolment_id) is None
    assert db_session.scalar(select(func.count()).select_from(DosingEvent)) == 0
    assert db_session.scalar(select(func.count()).select_from(DoseChange)) == 0
    kept = db_session.scalars(select(RecordAmendment).order_by(RecordAmendment.id)).all()[-1]
    assert kept.changes["medication"] == "methadone"
    assert [d["dose_mg"] for d in kept.changes["doses"]] == ["20"]
    assert [c["phase"] for c in kept.changes["dose_changes"]] == ["induction"]


def test_exit_correction_and_void_reopen(db_session, bishkek, enrolment):
    staff, _rnc, _episode = bishkek
    exit_ost(enrolment, OstExitSchema().load(
        {"exit_date": "2003-07-01", "exit_reason": "dropped_out"}), actor=staff)  # fmt: skip
    db_session.commit()
    correct_record(
        "ost_exit",
        enrolment,
        correction("ost_exit", enrolment, exit_reason="imprisoned"),
        actor=staff,
    )
    db_session.commit()
    assert enrolment.exit_reason == "imprisoned"
    void_record("ost_exit", enrolment, VoidSchema().load(WRONG), actor=staff)
    db_session.commit()
    assert enrolment.is_open
    assert [a.entity for a in db_session.scalars(select(RecordAmendment))] == [
        "ost_exit", "ost_exit"]  # fmt: skip


def test_dose_correction_and_void(db_session, bishkek, enrolment):
    staff, _rnc, _episode = bishkek
    dose = record_dose(enrolment, DoseSchema().load(
        {"dose_date": "2003-05-08", "kind": "observed", "dose_mg": "20"}), actor=staff)  # fmt: skip
    db_session.commit()
    correct_record("dosing_event", dose, correction("dosing_event", dose, dose_mg="25"),
                   actor=staff)  # fmt: skip
    db_session.commit()
    assert db_session.get(DosingEvent, dose.id).dose_mg == Decimal("25")
    assert only_amendment(db_session).changes == {"dose_mg": ["20", "25"]}
    before = changes_made(db_session)  # a dose's amendment counts as a change too
    dose_id = dose.id
    void_record("dosing_event", dose, VoidSchema().load(WRONG), actor=staff)
    db_session.commit()
    assert db_session.get(DosingEvent, dose_id) is None
    assert changes_made(db_session) == before + 1


def test_dose_change_correction_and_void(db_session, bishkek, enrolment):
    staff, _rnc, _episode = bishkek
    change = change_dose(enrolment, DoseChangeSchema().load(
        {"effective_date": "2003-05-10", "dose_mg": "40", "phase": "maintenance",
         "reason": "withdrawal"}), actor=staff)  # fmt: skip
    db_session.commit()
    correct_record("dose_change", change, correction("dose_change", change, dose_mg="45"),
                   actor=staff)  # fmt: skip
    db_session.commit()
    assert db_session.get(DoseChange, change.id).dose_mg == Decimal("45")
    change_id = change.id
    void_record("dose_change", change, VoidSchema().load(WRONG), actor=staff)
    db_session.commit()
    assert db_session.get(DoseChange, change_id) is None
    assert [a.action for a in db_session.scalars(select(RecordAmendment))] == ["correct", "void"]


def hiv(day="2003-05-07", result="negative"):
    return LabTestSchema().load({"test": "HIV", "sample_date": day, "result": result})


def test_lab_correction_is_what_analytics_count(db_session, bishkek):
    staff, rnc, episode = bishkek
    test = record_test(episode.client, hiv(), actor=staff, centre=rnc)
    db_session.commit()
    year = parse_period("2003", today=date(2026, 1, 1))

    def positives():
        counts = sql.family_counts("hiv", year)["2003"]
        return sum(n for key, n in counts.items() if key[0] == "HIV_PWID_POSITIVE")

    assert positives() == 0
    correct_record("lab_test", test, correction("lab_test", test, result="positive"),
                   actor=staff)  # fmt: skip
    db_session.commit()
    assert positives() == 1
    assert only_amendment(db_session).changes == {"result": ["negative", "positive"]}
    test_id = test.id
    void_record("lab_test", test, VoidSchema().load(WRONG), actor=staff)
    db_session.commit()
    assert db_session.get(LabTest, test_id) is None
    assert positives() == 0
    assert sum(sql.family_counts("hiv", year)["2003"].values()) == 0


def test_the_history_cannot_be_rewritten(db_session, bishkek):
    from registry.models.audit import AuditLogError

    staff, _rnc, episode = bishkek
    correct_record("episode", episode, correction("episode", episode, education="4"), actor=staff)
    db_session.commit()
    kept = only_amendment(db_session)
    kept.reason = "other"
    with pytest.raises(AuditLogError):
        db_session.flush()
    db_session.rollback()
    db_session.delete(only_amendment(db_session))
    with pytest.raises(AuditLogError):
        db_session.flush()
    db_session.rollback()
