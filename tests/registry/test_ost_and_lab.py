"""OST enrolment, dose visits, dose changes and exit; lab tests -- through the services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from registry.models import AuditEvent, DoseChange, DosingEvent, OstEnrolment
from registry.schemas import (
    AdmissionSchema,
    DoseChangeSchema,
    DoseSchema,
    LabTestSchema,
    OstEnrolmentSchema,
    OstExitSchema,
)
from registry.services import ServiceError
from registry.services.access import AccessDenied
from registry.services.episodes import admit_client
from registry.services.lab import record_test
from registry.services.ost import (
    change_dose,
    enrol_client,
    exit_ost,
    get_enrolment,
    needs_reinduction,
    record_dose,
)

ENROLMENT = {"medication": "methadone", "enrolment_date": "2003-06-02", "induction_dose_mg": "25"}


@pytest.fixture
def osh(db_session, actor, centre, admission_form):
    """(staff, centre, client) at the Osh clinic, the client admitted for OST."""
    staff, clinic = actor("clinic-osh"), centre("OSH")
    form = admission_form(programme="ost", region_code="KG-GO", admission_date="2003-06-01")
    episode = admit_client(AdmissionSchema().load(form), actor=staff, centre=clinic)
    db_session.commit()
    return staff, clinic, episode.client


def enrol(osh, **overrides):
    staff, clinic, client = osh
    return enrol_client(
        client, OstEnrolmentSchema().load({**ENROLMENT, **overrides}), actor=staff, centre=clinic
    )


def dose(enrolment, staff, day, mg="30", kind="observed"):
    data = DoseSchema().load({"dose_date": day, "kind": kind, "dose_mg": mg})
    return record_dose(enrolment, data, actor=staff)


def test_enrolment_starts_the_dose_series_and_is_audited(db_session, osh):
    enrolment = enrol(osh)
    db_session.commit()
    change = db_session.scalar(select(DoseChange))
    assert (change.phase, change.dose_mg, change.effective_date) == (
        "induction",
        Decimal("25.00"),
        date(2003, 6, 2),
    )
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.entity == "ost_enrolment"))
    assert (event.action, event.entity_id) == ("create", enrolment.id)


def test_a_client_is_on_ost_at_one_site_at_a_time(db_session, osh):
    enrol(osh)
    with pytest.raises(ServiceError) as error:
        enrol(osh, enrolment_date="2003-07-01")
    assert error.value.field is None


def test_transfer_and_episode_must_be_known(db_session, osh):
    with pytest.raises(ServiceError) as error:
        enrol(osh, transferred_from="OSH")
    assert error.value.field == "transferred_from"
    with pytest.raises(ServiceError) as error:
        enrol(osh, episode_id="999")
    assert error.value.field == "episode_id"
    assert enrol(osh, transferred_from="RNC").transferred_from_id is not None


def test_staff_of_another_centre_cannot_enrol_or_dose(db_session, osh, actor, centre):
    _staff, _clinic, client = osh
    data = OstEnrolmentSchema().load(ENROLMENT)
    with pytest.raises(AccessDenied):
        enrol_client(client, data, actor=actor("clinic-bishkek"), centre=centre("OSH"))
    enrolment = enrol(osh)
    with pytest.raises(AccessDenied):
        dose(enrolment, actor("clinic-bishkek"), "2003-06-03")
    with pytest.raises(AccessDenied):
        get_enrolment(enrolment.id, actor=actor("epi"))


def test_dose_rules(db_session, osh):
    staff = osh[0]
    enrolment = enrol(osh)
    dose(enrolment, staff, "2003-06-02")
    for day, mg, field in [
        ("2003-06-02", "30", "dose_date"),  # one record a day
        ("2003-06-01", "30", "dose_date"),  # before enrolment
        ("2003-06-05", "300", None),  # within the schema, above nothing: accepted
    ]:
        if field is None:
            dose(enrolment, staff, day, mg)
            continue
        with pytest.raises(ServiceError) as error:
            dose(enrolment, staff, day, mg)
        assert error.value.field == field
    db_session.commit()
    assert db_session.scalar(select(func.count()).select_from(DosingEvent)) == 2


def test_buprenorphine_dose_limit(db_session, osh):
    enrolment = enrol(osh, medication="buprenorphine", induction_dose_mg="8")
    with pytest.raises(ServiceError) as error:
        dose(enrolment, osh[0], "2003-06-03", "40")
    assert error.value.field == "dose_mg"


def test_reinduction_after_a_gap_of_more_than_two_days(db_session, osh):
    staff = osh[0]
    enrolment = enrol(osh)
    dose(enrolment, staff, "2003-06-02")
    dose(enrolment, staff, "2003-06-03", kind="missed", mg="")
    assert not needs_reinduction(enrolment, date(2003, 6, 5))  # 2 days without a dose
    assert needs_reinduction(enrolment, date(2003, 6, 6))  # 3 days


def test_dose_change_and_exit(db_session, osh):
    staff = osh[0]
    enrolment = enrol(osh)
    dose(enrolment, staff, "2003-06-10", "25")  # after a gap: at most the induction dose
    change = DoseChangeSchema().load(
        {
            "effective_date": "2003-06-06",
            "dose_mg": "35",
            "phase": "induction",
            "reason": "induction",
        }
    )
    change_dose(enrolment, change, actor=staff)
    with pytest.raises(ServiceError) as error:
        early_exit = {"exit_date": "2003-06-08", "exit_reason": "dropped_out"}
        exit_ost(enrolment, OstExitSchema().load(early_exit), actor=staff)
    assert error.value.field == "exit_date"
    exit_data = OstExitSchema().load({"exit_date": "2003-07-01", "exit_reason": "dropped_out"})
    exit_ost(enrolment, exit_data, actor=staff)
    db_session.commit()
    assert not db_session.get(OstEnrolment, enrolment.id).is_open
    with pytest.raises(ServiceError):
        change_dose(enrolment, change, actor=staff)
    with pytest.raises(ServiceError) as error:
        dose(enrolment, staff, "2003-07-02")
    assert error.value.field == "dose_date"
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity.in_(["dose_change", "ost_enrolment"]))
    ).all()
    assert actions == ["create", "create", "update"]


def test_lab_test_is_recorded_and_audited(db_session, osh, actor, centre):
    staff, clinic, client = osh
    data = LabTestSchema().load({"test": "HIV", "sample_date": "2003-06-03", "result": "negative"})
    test = record_test(client, data, actor=staff, centre=clinic)
    db_session.commit()
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.entity == "lab_test"))
    assert (event.action, event.entity_id, event.detail) == ("create", test.id, "test=HIV")
    with pytest.raises(AccessDenied):
        record_test(client, data, actor=actor("ministry"), centre=clinic)
    early = {"test": "HIV", "sample_date": date(1975, 6, 3), "result": "negative"}
    with pytest.raises(ServiceError) as error:
        record_test(client, early, actor=staff, centre=clinic)
    assert error.value.field == "sample_date"


def test_the_dashboard_list_shows_each_clients_last_dose(db_session, osh, actor, admission_form):
    from registry.services.listings import current_ost_clients

    staff, clinic, _client = osh
    enrolment = enrol(osh)
    for day, mg in (("2003-06-03", "30"), ("2003-06-05", "45"), ("2003-06-04", "40")):
        dose(enrolment, staff, day, mg)
    form = admission_form(programme="ost", region_code="KG-GO", admission_date="2003-06-01",
                          family_name="Другой", birth_date="1981-02-02")  # fmt: skip
    other = admit_client(AdmissionSchema().load(form), actor=staff, centre=clinic).client
    without_doses = enrol_client(other, OstEnrolmentSchema().load(ENROLMENT), actor=staff,
                                 centre=clinic)  # fmt: skip
    db_session.commit()
    rows = {row.enrolment.id: row.last_dose for row in current_ost_clients(staff, clinic.id)}
    last = rows[enrolment.id]
    assert (last.dose_date, last.dose_mg) == (date(2003, 6, 5), Decimal("45.00"))
    assert rows[without_doses.id] is None
