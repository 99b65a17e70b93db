# ruff: noqa: F811  (the fixtures are test_amendments.py's)
"""A corrected induction dose or enrolment date carries over to the induction dose change,
which the dosing list dispenses by; the dose change's own history shows why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from registry.models import DoseChange, RecordAmendment
from registry.schemas import DoseChangeSchema, OstEnrolmentSchema
from registry.services import ServiceError
from registry.services.amendments import correct_record, history
from registry.services.ost import change_dose, enrol_client, prescribed_dose
from tests.registry.test_amendments import bishkek, correction, enrolment  # noqa: F401

DAY = date(2003, 5, 7)


def amendments(db_session, entity):
    query = select(RecordAmendment).where(RecordAmendment.entity == entity)
    return db_session.scalars(query.order_by(RecordAmendment.id)).all()


def test_a_corrected_induction_dose_is_the_dose_dispensed(db_session, bishkek, enrolment):
    staff, _rnc, _episode = bishkek
    correct_record("ost_enrolment", enrolment,
                   correction("ost_enrolment", enrolment, induction_dose_mg="15"),
                   actor=staff)  # fmt: skip
    db_session.commit()
    assert prescribed_dose(enrolment, DAY).dose_mg == Decimal("15")
    [follow] = amendments(db_session, "dose_change")
    assert follow.action == "correct" and follow.reason == "typing_error"
    assert follow.changes == {"dose_mg": ["20", "15"]}
    change = prescribed_dose(enrolment, DAY)
    assert history(enrolment.client_id, enrolment.centre_id)[("dose_change", change.id)]


def test_a_corrected_enrolment_date_moves_the_induction_prescription(
    db_session, bishkek, enrolment
):
    """Before, the induction change (auto-made on the old date) refused any later date."""
    staff, _rnc, _episode = bishkek
    correct_record("ost_enrolment", enrolment,
                   correction("ost_enrolment", enrolment, enrolment_date="2003-05-09"),
                   actor=staff)  # fmt: skip
    db_session.commit()
    assert prescribed_dose(enrolment, DAY) is None
    moved = prescribed_dose(enrolment, date(2003, 5, 9))
    assert (moved.effective_date, moved.dose_mg) == (date(2003, 5, 9), Decimal("20"))
    assert amendments(db_session, "dose_change")[0].changes == {
        "effective_date": ["2003-05-07", "2003-05-09"]
    }


def test_the_induction_cannot_move_onto_another_prescriptions_day(db_session, bishkek, enrolment):
    staff, _rnc, _episode = bishkek
    change_dose(enrolment, DoseChangeSchema().load(
        {"effective_date": "2003-05-10", "dose_mg": "40", "phase": "maintenance",
         "reason": "withdrawal"}), actor=staff)  # fmt: skip
    db_session.commit()
    with pytest.raises(ServiceError) as error:
        correct_record("ost_enrolment", enrolment,
                       correction("ost_enrolment", enrolment, enrolment_date="2003-05-10"),
                       actor=staff)  # fmt: skip
    with force_locale("en"):  # the application's default language is Russian
        assert error.value.field == "enrolment_date" and "prescribed twice" in str(error.value)
    db_session.rollback()
    assert enrolment.enrolment_date == DAY
    assert prescribed_dose(enrolment, DAY).dose_mg == Decimal("20")
    assert db_session.scalar(select(func.count()).select_from(RecordAmendment)) == 0


def test_a_removed_induction_dose_voids_its_prescription(db_session, bishkek, enrolment):
    staff, _rnc, _episode = bishkek
    correct_record("ost_enrolment", enrolment,
                   correction("ost_enrolment", enrolment, induction_dose_mg=""),
                   actor=staff)  # fmt: skip
    db_session.commit()
    assert enrolment.induction_dose_mg is None and prescribed_dose(enrolment, DAY) is None
    [follow] = amendments(db_session, "dose_change")
    assert follow.action == "void" and follow.changes["dose_mg"] == "20"


def test_an_induction_dose_given_later_is_prescribed(db_session, bishkek):
    staff, rnc, episode = bishkek
    enrolment = enrol_client(episode.client, OstEnrolmentSchema().load(
        {"medication": "methadone", "enrolment_date": "2003-05-07"}), actor=staff,
        centre=rnc)  # fmt: skip
    db_session.commit()
    assert prescribed_dose(enrolment, DAY) is None
    correct_record("ost_enrolment", enrolment,
                   correction("ost_enrolment", enrolment, induction_dose_mg="25"),
                   actor=staff)  # fmt: skip
    db_session.commit()
    made = prescribed_dose(enrolment, DAY)
    assert (made.dose_mg, made.phase, made.effective_date) == (Decimal("25"), "induction", DAY)
    assert db_session.scalar(select(func.count()).select_from(DoseChange)) == 1
