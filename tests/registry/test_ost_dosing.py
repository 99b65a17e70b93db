"""Re-induction after a gap, scheduled dose changes, take-home days, today's list and the
dashboard's reminders -- through the services, on both database backends. The list and the
reminders read what they show, not the centre's history: long reminder lists come counted
with their first ``SHOWN`` rows, and the list loads only the dose changes a row shows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from marshmallow import ValidationError
from sqlalchemy import event, func, select

from registry.models import AuditEvent, DoseChange, DosingEvent
from registry.schemas import AdmissionSchema, DoseChangeSchema, DoseSchema, OstEnrolmentSchema
from registry.services import ServiceError
from registry.services.dosing_day import dose_from_list, dosing_list
from registry.services.episodes import admit_client
from registry.services.ost import change_dose, enrol_client, prescribed_dose, record_dose
from registry.services.reminders import SHOWN, centre_reminders

TODAY = date.today()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


@pytest.fixture
def rnc(db_session, actor, centre, admission_form):
    """``enrolled(family_name, last)``: a client of RNC on methadone since 10 days ago
    (30 mg induction, 80 mg from the next day), dosed every day up to ``last`` days ago."""
    staff, clinic = actor("clinic-bishkek"), centre("RNC")

    def enrolled(family_name: str = "Асанов", last: int = 1):
        form = admission_form(programme="ost", family_name=family_name, admission_date=ago(11))
        client = admit_client(AdmissionSchema().load(form), actor=staff, centre=clinic).client
        enrolment = enrol_client(
            client,
            OstEnrolmentSchema().load(
                {"medication": "methadone", "enrolment_date": ago(10), "induction_dose_mg": "30"}
            ),
            actor=staff,
            centre=clinic,
        )
        change(enrolment, staff, ago(9), "80", phase="maintenance", reason="clinical_review")
        for days in range(10, last - 1, -1):
            dose(enrolment, staff, ago(days))
        return enrolment

    return staff, enrolled


def dose(enrolment, staff, day, mg="80", kind="observed", **extra):
    data = DoseSchema().load({"dose_date": day, "kind": kind, "dose_mg": mg, **extra})
    return record_dose(enrolment, data, actor=staff)


def change(enrolment, staff, day, mg, phase="maintenance", reason="clinical_review"):
    data = DoseChangeSchema().load(
        {"effective_date": day, "dose_mg": mg, "phase": phase, "reason": reason}
    )
    return change_dose(enrolment, data, actor=staff)


def counts(db_session):
    return tuple(
        db_session.scalar(select(func.count()).select_from(m)) for m in (DosingEvent, DoseChange)
    )


def test_a_maintenance_dose_after_a_gap_is_refused_without_a_decision(db_session, rnc):
    staff, enrolled = rnc
    enrolment = enrolled(last=5)
    before = counts(db_session)
    with pytest.raises(ServiceError) as error:
        dose(enrolment, staff, TODAY.isoformat())  # 4 days without a dose
    assert error.value.field == "reinduction_reason"
    assert counts(db_session) == before
    # two days without a dose is within the protocol limit
    dose(enrolment, staff, ago(2))


def test_the_re_induction_decision_is_recorded_as_an_induction_dose_change(db_session, rnc):
    staff, enrolled = rnc
    enrolment = enrolled(last=6)
    with pytest.raises(ServiceError) as error:  # above the induction limit of 40 mg
        dose(enrolment, staff, ago(1), "80", reinduction_reason="missed_doses")
    assert error.value.field == "dose_mg"
    with pytest.raises(ValidationError) as invalid:  # a re-induction dose is observed
        dose(enrolment, staff, ago(1), "30", "take_home", reinduction_reason="missed_doses",
             take_home_days="2")  # fmt: skip
    assert list(invalid.value.messages) == ["reinduction_reason"]
    given = dose(enrolment, staff, ago(1), "30", reinduction_reason="missed_doses")
    db_session.commit()
    decision = prescribed_dose(enrolment, TODAY)
    assert (decision.phase, decision.reason, decision.dose_mg, decision.effective_date) == (
        "induction", "missed_doses", Decimal("30.00"), TODAY - timedelta(days=1),
    )  # fmt: skip
    detail = db_session.scalar(
        select(AuditEvent.detail).where(
            AuditEvent.entity == "dosing_event", AuditEvent.entity_id == given.id
        )
    )
    assert detail.endswith(f"reinduction={decision.id}")
    # the next day needs no decision, and the prescribed dose is the re-induction dose
    dose(enrolment, staff, TODAY.isoformat(), "30")


def test_a_prescribed_re_induction_caps_the_dose_after_the_gap(db_session, rnc):
    staff, enrolled = rnc
    enrolment = enrolled(last=8)
    change(enrolment, staff, ago(1), "25", phase="induction", reason="missed_doses")
    with pytest.raises(ServiceError) as error:
        dose(enrolment, staff, TODAY.isoformat(), "80")
    assert error.value.field == "dose_mg"
    dose(enrolment, staff, TODAY.isoformat(), "25")


def test_dose_changes_can_be_scheduled_and_apply_from_their_date(db_session, rnc, app):
    staff, enrolled = rnc
    enrolment = enrolled()
    ahead = (TODAY + timedelta(days=7)).isoformat()
    change(enrolment, staff, ahead, "90")
    assert prescribed_dose(enrolment, TODAY).dose_mg == Decimal("80.00")
    assert prescribed_dose(enrolment, TODAY + timedelta(days=7)).dose_mg == Decimal("90.00")
    too_far = (TODAY + timedelta(days=app.config["DOSE_CHANGE_SCHEDULE_DAYS"] + 1)).isoformat()
    with pytest.raises(ServiceError) as error:
        change(enrolment, staff, too_far, "90")
    assert error.value.field == "effective_date"


def test_take_home_days_are_required_for_a_take_home_dose(db_session):
    with pytest.raises(ValidationError) as error:
        DoseSchema().load({"dose_date": ago(1), "kind": "take_home", "dose_mg": "60"})
    assert list(error.value.messages) == ["take_home_days"]
    loaded = DoseSchema().load(
        {"dose_date": ago(1), "kind": "take_home", "dose_mg": "60", "take_home_days": "3"}
    )
    assert loaded["take_home_days"] == 3


def test_todays_list_shows_each_clients_state(db_session, rnc, actor, centre):
    staff, enrolled = rnc
    dosed, due, missed = (enrolled(name) for name in ("Асанов", "Бекова", "Осмонов"))
    gap, take_home = enrolled("Султанов", last=4), enrolled("Токтогулов", last=2)
    dose(take_home, staff, ago(1), kind="take_home", take_home_days="3")
    dose_from_list(staff, dosed, "observed", None, TODAY)
    dose_from_list(staff, missed, "missed", None, TODAY)
    with pytest.raises(ServiceError) as error:
        dose_from_list(staff, gap, "observed", None, TODAY)
    assert error.value.field == "reinduction_reason"
    db_session.commit()
    rows = {row.enrolment.id: row for row in dosing_list(staff, centre("RNC").id, TODAY)}
    assert {e.id: rows[e.id].status for e in (dosed, due, missed, gap, take_home)} == {
        dosed.id: "dosed", due.id: "due", missed.id: "missed", gap.id: "due",
        take_home.id: "take_home",
    }  # fmt: skip
    assert rows[take_home.id].take_home_due_back == TODAY + timedelta(days=2)
    assert rows[dosed.id].recorded.dose_mg == Decimal("80.00")
    assert rows[gap.id].needs_reinduction and rows[gap.id].quick_dose_mg is None
    assert rows[gap.id].days_since_last_dose == 4
    assert rows[due.id].quick_dose_mg == Decimal("80.00")
    assert not rows[due.id].needs_reinduction
    assert dosing_list(actor("clinic-osh"), centre("OSH").id, TODAY) == []


def test_dashboard_reminders(db_session, rnc, actor, centre, admission_form):
    from registry.schemas import LabTestSchema
    from registry.services.lab import record_test

    staff, enrolled = rnc
    regular, away = enrolled("Асанов"), enrolled("Бекова", last=3)
    tested = {"test": "HIV", "sample_date": ago(400), "result": "negative"}
    record_test(regular.client, LabTestSchema().load(tested), actor=staff, centre=centre("RNC"))
    recent = {**tested, "test": "HCV", "sample_date": ago(30)}
    record_test(regular.client, LabTestSchema().load(recent), actor=staff, centre=centre("RNC"))
    form = admission_form(family_name="Давлетов", admission_date=ago(200))
    quiet = admit_client(AdmissionSchema().load(form), actor=staff, centre=centre("RNC")).client
    db_session.commit()
    reminders = centre_reminders(staff, centre("RNC").id, TODAY)
    assert [(r.client_id, r.days) for r in reminders.missed] == [(away.client_id, 2)]
    retests = {(r.client_id, r.what) for r in reminders.retests}
    assert (regular.client_id, "HIV") in retests  # 400 days after a negative test
    assert (regular.client_id, "HCV") not in retests  # tested 30 days ago
    assert (away.client_id, "HIV") in retests  # never tested here
    assert [(r.client_id, r.since) for r in reminders.no_contact] == [
        (quiet.id, TODAY - timedelta(days=200))
    ]
    assert centre_reminders(actor("clinic-osh"), centre("OSH").id, TODAY) == type(reminders)()


def test_missed_dose_reminders_are_the_rows_of_todays_list_neither_dosed_nor_covered(
    db_session, rnc, actor, centre, app
):
    # the dashboard read the whole dosing list, as ORM rows, to find these (a third of its
    # CPU, issue 12 §5); its own statement must give exactly what that list gives
    staff, enrolled = rnc
    dosed, due = enrolled("Асанов"), enrolled("Бекова")
    missed_today, withheld = enrolled("Осмонов", last=3), enrolled("Садыков", last=6)
    gap, never = enrolled("Султанов", last=4), enrolled("Исаев", last=11)
    covered, lapsed = enrolled("Токтогулов", last=2), enrolled("Жумабаев", last=6)
    back = enrolled("Абдыкадыров", last=5)  # back today after a gap: dosed, not missed
    dose(back, staff, TODAY.isoformat(), "30", reinduction_reason="missed_doses")
    dose(covered, staff, ago(1), kind="take_home", take_home_days="3")
    dose(lapsed, staff, ago(5), kind="take_home", take_home_days="2")
    dose_from_list(staff, dosed, "observed", None, TODAY)
    dose_from_list(staff, missed_today, "missed", None, TODAY)
    dose(withheld, staff, TODAY.isoformat(), kind="withheld", mg="0", reason="intoxicated")
    db_session.commit()
    least = app.config["REMINDER_MISSED_DOSE_DAYS"]
    expected = []  # the dashboard's rule before, on today's list
    for row in dosing_list(staff, centre("RNC").id, TODAY):
        days = (TODAY - row.covered_until).days - 1
        if row.status != "dosed" and days >= least:
            since = row.last_given.dose_date if row.last_given else None
            expected.append((row.enrolment.client_id, since, days))
    expected.sort(key=lambda r: -r[2])
    missed = centre_reminders(staff, centre("RNC").id, TODAY).missed
    assert [(r.client_id, r.since, r.days) for r in missed] == expected
    assert {r.client_id for r in missed} >= {never.client_id, gap.client_id, lapsed.client_id}
    assert not {r.client_id for r in missed} & {
        dosed.client_id,
        due.client_id,
        covered.client_id,
        back.client_id,
    }
    assert missed.total == len(expected) >= 4


def test_long_reminder_lists_give_the_first_rows_in_order_and_count_all(
    db_session, actor, centre, admission_form
):
    staff, clinic = actor("clinic-bishkek"), centre("RNC")
    n, codes = SHOWN + 5, []
    for i in range(n):  # injecting, never tested here, admitted 200+i days ago
        form = admission_form(birth_date=(date(1970, 1, 1) + timedelta(days=i)).isoformat(),
                              admission_date=ago(200 + i))  # fmt: skip
        codes.append(
            admit_client(AdmissionSchema().load(form), actor=staff, centre=clinic).client.code
        )
    db_session.commit()
    reminders = centre_reminders(staff, clinic.id, TODAY)
    assert reminders.no_contact.total == n
    assert [r.days for r in reminders.no_contact] == list(range(200 + n - 1, 204, -1))
    assert reminders.retests.total == 2 * n  # HIV and HCV for each
    shown = [(r.code, r.what) for r in reminders.retests]
    first = sorted(codes)[: SHOWN // 2]
    assert shown == [(code, test) for code in first for test in ("HIV", "HCV")]
    assert reminders.missed.total == 0 and list(reminders.missed) == []


def test_todays_list_loads_only_the_dose_changes_it_can_show(db_session, rnc, actor, centre):
    staff, enrolled = rnc
    enrolment = enrolled(last=1)
    for days in range(8, 0, -1):  # a change a day: 78 mg ... 71 mg (yesterday)
        change(enrolment, staff, ago(days), str(70 + days))
    scheduled = change(enrolment, staff, (TODAY + timedelta(days=2)).isoformat(), "60").id
    db_session.commit()
    db_session.expunge_all()
    loaded: list[int] = []

    def count(target: DoseChange, context: object) -> None:
        loaded.append(target.id)

    event.listen(DoseChange, "load", count)
    try:
        (row,) = dosing_list(actor("clinic-bishkek"), centre("RNC").id, TODAY)
    finally:
        event.remove(DoseChange, "load", count)
    assert row.prescribed.dose_mg == Decimal("71.00")
    assert row.scheduled.id == scheduled
    # not the induction, the first maintenance dose and the seven changes before yesterday
    assert sorted(loaded) == sorted([row.prescribed.id, scheduled])
