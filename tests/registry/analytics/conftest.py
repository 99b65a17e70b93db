"""A small registry built through the services, with every indicator worked out by hand.

Five people (see :data:`PEOPLE`), all entered by clinic staff through the same services
the forms use: admissions and discharges, OST enrolment, dose changes and exit, HIV tests.
The hand-computed values are in ``test_indicators.py`` beside each assertion.

* A  M 1980, Bishkek (RNC): detox 2003-02-10 (first treatment, heroin, injects, last
  30 days) to 2003-03-01; outpatient from 2003-09-01 (previously treated), still open;
  HIV negative 2003-12-01.
* B  F 1990, Bishkek (RNC): detox 2002-11-01 to 2002-11-20 (first, cannabis, smokes);
  detox 2003-04-01 to 2003-04-15 (previously treated, methamphetamine, sniffs, never
  injected).
* C  M 1975, Osh (OSH): OST programme from 2003-06-01 (first, heroin, injects); methadone
  from 2003-06-02 (25 mg), maintenance from 2003-06-20 at 70 mg; HIV positive 2003-07-01.
* D  F 1985, Osh (OSH): OST programme 2003-03-01 to 2003-12-01 (previously treated, opium,
  smokes, injected over a year ago); methadone 2003-03-05 (20 mg), maintenance from
  2003-03-25 at 40 mg, dropped out 2003-10-10; HIV negative 2003-05-01.
* E  M 1970, Bishkek (RNC): outpatient from 2004-01-15 (first, heroin, injected in the last
  12 months); HIV negative 2004-02-01, positive 2004-03-01.

Populations 2003: Bishkek 500,000 men and 500,000 women aged 20-24; Osh 250,000 men aged
25-29. An approved capture-recapture estimate for KG 2003: 20 (15-30); a later one, not
approved, of 999 must never show.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from registry.auth.tokens import create_token
from registry.extensions import db
from registry.models import EstimationJob, EstimationResult, Population, Study
from registry.schemas import (
    AdmissionSchema,
    DischargeSchema,
    DoseChangeSchema,
    LabTestSchema,
    OstEnrolmentSchema,
    OstExitSchema,
)
from registry.services.episodes import admit_client, discharge_episode
from registry.services.lab import record_test
from registry.services.ost import change_dose, enrol_client, exit_ost

PEOPLE = {
    "A": {"family_name": "Асанов", "given_name": "Бакыт", "birth_date": "1980-03-14", "sex": "M"},
    "B": {"family_name": "Иманова", "given_name": "Айгуль", "birth_date": "1990-05-05", "sex": "F"},
    "C": {"family_name": "Токтогулов", "given_name": "Нурлан", "birth_date": "1975-01-01",
          "sex": "M"},
    "D": {"family_name": "Садыкова", "given_name": "Жылдыз", "birth_date": "1985-06-01",
          "sex": "F"},
    "E": {"family_name": "Омуров", "given_name": "Эрмек", "birth_date": "1970-08-08", "sex": "M"},
}  # fmt: skip


def _admit(form_builder, person, centre, staff, region, **items):
    form = form_builder(**PEOPLE[person], region_code=region, **items)
    return admit_client(AdmissionSchema().load(form), actor=staff, centre=centre)


def _discharge(episode, day, staff, reason="completed"):
    data = DischargeSchema().load({"discharge_date": day, "discharge_reason": reason})
    discharge_episode(episode, data, actor=staff)


def _test(client, day, result, staff, centre):
    data = LabTestSchema().load({"test": "HIV", "sample_date": day, "result": result})
    record_test(client, data, actor=staff, centre=centre)


def _ost(client, staff, centre, start, induction, maintenance, mg):
    enrolment = enrol_client(client, OstEnrolmentSchema().load({
        "medication": "methadone", "enrolment_date": start, "induction_dose_mg": induction,
        "first_maintenance_date": maintenance}), actor=staff, centre=centre)  # fmt: skip
    change_dose(enrolment, DoseChangeSchema().load({
        "effective_date": maintenance, "dose_mg": mg, "phase": "maintenance",
        "reason": "induction"}),
        actor=staff)  # fmt: skip
    return enrolment


@pytest.fixture
def token(small_registry, actor, db_session):
    """``token(username) -> Authorization header`` of a fresh API token on the small
    registry (the analytics API is read with tokens, as ministries read it)."""

    def make(username: str) -> dict[str, str]:
        _token, secret = create_token(actor(username), "analytics test")
        db_session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def small_registry(db_session, actor, centre, admission_form, registry_data):
    """Build the registry above; return the ``registry_data`` of the base fixture."""
    rnc, osh = centre("RNC"), centre("OSH")
    bishkek, osh_staff = actor("clinic-bishkek"), actor("clinic-osh")
    heroin = {"primary_drug": "1.1", "route": "1", "injecting": "2.3"}

    a1 = _admit(admission_form, "A", rnc, bishkek, "KG-GB", programme="detoxification",
                admission_date="2003-02-10", ever_treated="1", **heroin)  # fmt: skip
    _discharge(a1, "2003-03-01", bishkek)
    a2 = _admit(admission_form, "A", rnc, bishkek, "KG-GB", programme="outpatient",
                admission_date="2003-09-01", ever_treated="2", **heroin)  # fmt: skip
    _test(a2.client, "2003-12-01", "negative", bishkek, rnc)

    never = {
        "injecting": "1",
        "age_first_injection": "",
        "needle_sharing": "1",
        "secondary_drugs": ["8"],
    }
    b1 = _admit(admission_form, "B", rnc, bishkek, "KG-GB", programme="detoxification",
                admission_date="2002-11-01", ever_treated="1", primary_drug="7.1",
                route="2", age_first_use="11", **never)  # fmt: skip
    _discharge(b1, "2002-11-20", bishkek)
    b2 = _admit(admission_form, "B", rnc, bishkek, "KG-GB", programme="detoxification",
                admission_date="2003-04-01", ever_treated="2", primary_drug="3.2",
                route="4", age_first_use="11", **never)  # fmt: skip
    _discharge(b2, "2003-04-15", bishkek)

    c1 = _admit(admission_form, "C", osh, osh_staff, "KG-GO", programme="ost",
                admission_date="2003-06-01", ever_treated="1", **heroin)  # fmt: skip
    _ost(c1.client, osh_staff, osh, "2003-06-02", "25", "2003-06-20", "70")
    _test(c1.client, "2003-07-01", "positive", osh_staff, osh)

    d1 = _admit(admission_form, "D", osh, osh_staff, "KG-GO", programme="ost",
                admission_date="2003-03-01", ever_treated="2", primary_drug="1.5", route="2",
                injecting="2.1", age_first_use="15", age_first_injection="16")  # fmt: skip
    enrolment = _ost(d1.client, osh_staff, osh, "2003-03-05", "20", "2003-03-25", "40")
    left = OstExitSchema().load({"exit_date": "2003-10-10", "exit_reason": "dropped_out"})
    exit_ost(enrolment, left, actor=osh_staff)
    _discharge(d1, "2003-12-01", osh_staff)
    _test(d1.client, "2003-05-01", "negative", osh_staff, osh)

    e1 = _admit(admission_form, "E", rnc, bishkek, "KG-GB", programme="outpatient",
                admission_date="2004-01-15", ever_treated="1", primary_drug="1.1", route="1",
                injecting="2.2")  # fmt: skip
    _test(e1.client, "2004-02-01", "negative", bishkek, rnc)
    _test(e1.client, "2004-03-01", "positive", bishkek, rnc)

    units = registry_data.org_units
    for unit, sex, group, n in (("KG-GB", "M", "20-24", 500_000), ("KG-GB", "F", "20-24", 500_000),
                                ("KG-GO", "M", "25-29", 250_000)):  # fmt: skip
        db_session.add(Population(org_unit_id=units[unit], year=2003, sex=sex, age_group=group,
                                  population=n))  # fmt: skip
    add_estimate(registry_data, "KG", "2003", 20, 15, 30, approved=True)
    add_estimate(registry_data, "KG", "2003", 999, 900, 1100, approved=False)
    db_session.commit()
    return registry_data


def add_estimate(registry_data, area, period, value, low, high, *, approved,
                 method="capture_recapture"):  # fmt: skip
    """A succeeded ``method`` study of ``area`` and ``period`` with its result."""
    start, end = date(int(period[:4]), 1, 1), date(int(period[:4]), 12, 31)
    now = datetime.now(UTC)
    study = Study(title="CR", method=method, parameters={}, lists=[],
                  period=period, period_start=start, period_end=end,
                  area_id=registry_data.org_units[area])  # fmt: skip
    job = EstimationJob(study=study, state="succeeded")
    result = EstimationResult(job=job, input_hash="0" * 64, software_version="test",
                              started_at=now, finished_at=now, approved=approved,
                              approved_at=now if approved else None,
                              payload={"estimate": {"abundance": value, "ci_low": low,
                                                    "ci_high": high}})  # fmt: skip
    db.session.add_all([study, job, result])
    db.session.flush()
    return result
