"""Multiplier, retention, coverage and projection studies through the studies service.

``ost_records`` seeds a small OST cohort whose Kaplan-Meier curve is worked out by hand
(six clients initiated in 2003 at OSH, durations 20, 100, 200+, 300, 400, 672+ days), one
enrolment without doses, one transfer in, five narcological registrations and the
population of Kyrgyzstan. Every payload is compared with a direct library call on the
same inputs and with at least one hand-computed value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import pytest
from marshmallow import ValidationError
from sqlalchemy import insert

from estimation.coverage import ost_coverage
from estimation.multiplier import multiplier_estimate, rate_per_100k
from estimation.pooling import combine_multipliers
from estimation.projection import project
from estimation.retention import kaplan_meier, logrank_test
from registry.extensions import db
from registry.models import Client, DosingEvent, OstEnrolment, Population, TreatmentEpisode, User
from registry.services import studies
from registry.services.errors import ServiceError
from tests.registry.jobs.conftest import EPISODE_CODES

#: client: (enrolment date, dosing days, mg, sex, exit date, exit reason, gap after day)
COHORT = {
    "A": (date(2003, 1, 1), 100, 80, "M", date(2003, 4, 15), "dropped_out", None),
    "B": (date(2003, 2, 1), 300, 40, "M", date(2003, 12, 1), "dropped_out", None),
    "C": (date(2003, 3, 1), 672, 70, "M", None, None, None),
    "D": (date(2003, 4, 1), 50, 30, "M", date(2003, 6, 1), "dropped_out", 20),
    "E": (date(2003, 5, 1), 400, 100, "F", date(2004, 6, 10), "dropped_out", None),
    "F": (date(2003, 6, 1), 200, 60, "M", date(2003, 12, 20), "transferred", None),
}
#: (duration, event, dose group, sex) of each client's first episode, by hand.
DURATIONS = [
    (100, 1, "adequate", "M"),
    (300, 1, "low", "M"),
    (672, 0, "adequate", "M"),
    (20, 1, "low", "M"),
    (400, 1, "adequate", "F"),
    (200, 0, "adequate", "M"),  # transferred out: censored
]
ANALYSIS_DATE = "2004-12-31"
TAKE_HOME_DAYS = 4
KG_POPULATION = 4_867_481


@dataclass(frozen=True)
class OstRecords:
    """Ids the tests need."""

    epi: int
    clinic: int


@pytest.fixture
def ost_records(app, registry_data) -> OstRecords:
    """Seed the cohort of :data:`COHORT` (see the module docstring)."""
    osh, rnc = registry_data.centres["OSH"], registry_data.centres["RNC"]
    with app.app_context():
        names = [*COHORT, "G", "H", "I", "J", "K"]
        db.session.execute(insert(Client), [
            {"id": i + 1, "code": f"{name:0>64}", "sex": COHORT.get(name, (0, 0, 0, "M"))[3],
             "birth_year": 1980} for i, name in enumerate(names)
        ])  # fmt: skip
        enrolments, doses = [], []
        for i, row in enumerate(COHORT.values()):
            start, days, mg, _, exit_date, reason, gap = row
            enrolments.append({"id": i + 1, "client_id": i + 1, "centre_id": osh,
                               "medication": "methadone", "enrolment_date": start,
                               "exit_date": exit_date, "exit_reason": reason})  # fmt: skip
            # E takes home four days' doses at a time: its episode must still last 400 days
            step = TAKE_HOME_DAYS if i == 4 else 1
            for day in range(0, days, step):
                shift = 5 if gap is not None and day >= gap else 0
                doses.append({"enrolment_id": i + 1, "dose_date": start + timedelta(day + shift),
                              "dose_mg": mg, "kind": "take_home" if step > 1 else "observed",
                              "take_home_days": min(step, days - day)})  # fmt: skip
        enrolments += [
            # enrolled, never dosed: in the cohort's count, not in its curve; on OST at census
            {"id": 7, "client_id": 7, "centre_id": osh, "medication": "methadone",
             "enrolment_date": date(2003, 9, 1)},
            # F transferred in to RNC: no new initiation, but on OST at the census date
            {"id": 8, "client_id": 6, "centre_id": rnc, "medication": "methadone",
             "enrolment_date": date(2003, 12, 21), "transferred_from_id": osh},
        ]  # fmt: skip
        doses.append({"enrolment_id": 7, "dose_date": date(2003, 9, 1), "dose_mg": 20,
                      "kind": "missed", "take_home_days": 1})  # fmt: skip
        db.session.execute(insert(OstEnrolment), enrolments)
        db.session.execute(insert(DosingEvent), doses)
        db.session.execute(insert(TreatmentEpisode), [
            {"client_id": 8 + k % 4, "centre_id": rnc, "programme": "detoxification",
             "admission_date": date(2003, 3 + k, 1), "age_at_admission": 23,
             "secondary_drugs": [],
             # the last two stay open: on the register at the end of 2003
             "discharge_date": date(2003, 3 + k, 20) if k < 3 else None,
             "discharge_reason": "completed" if k < 3 else None, **EPISODE_CODES}
            for k in range(5)
        ])  # fmt: skip
        db.session.execute(insert(Population), [
            {"org_unit_id": registry_data.org_units["KG"], "year": 2003, "sex": "M",
             "age_group": "15-19", "population": 2_400_000},
            {"org_unit_id": registry_data.org_units["KG"], "year": 2003, "sex": "F",
             "age_group": "15-19", "population": KG_POPULATION - 2_400_000},
        ])  # fmt: skip
        db.session.commit()
    return OstRecords(epi=registry_data.users["epi"], clinic=registry_data.users["clinic-osh"])


def run(data: dict, actor_id: int) -> dict:
    """Create the study, compute its result as the worker does; return the payload."""
    actor = db.session.get(User, actor_id)
    job = studies.create_study({"period": "2003", "area_code": "KG", "lists": [], **data},
                               actor=actor)  # fmt: skip
    db.session.flush()
    result = studies.compute_result(job)
    db.session.add(result)
    job.state = "succeeded"
    db.session.commit()
    return {"job": job.id, "payload": result.payload, "rows": studies.result_rows(result)}


def test_multiplier_from_the_ost_list_pools_two_surveys(app, ost_records):
    surveys = [{"in_benchmark": 2, "sample_size": 10}, {"in_benchmark": 3, "sample_size": 12,
                                                        "design_effect": 1.5}]  # fmt: skip
    with app.app_context():
        done = run({"method": "multiplier", "lists": ["registry:ost"],
                    "parameters": {"surveys": surveys}}, ost_records.epi)  # fmt: skip
    payload = done["payload"]
    # 7 people on OST in 2003 (A-F and the undosed enrolment); 7 / 0.2 = 35, 7 / 0.25 = 28
    assert payload["benchmark"] == {"ref": "registry:ost", "count": 7}
    assert [s["abundance"] for s in payload["surveys"]] == pytest.approx([35.0, 28.0])
    se_log = math.sqrt(0.2 * 0.8 / 10) / 0.2  # delta method on log N, by hand
    assert payload["surveys"][0]["ci_high"] == pytest.approx(35 * math.exp(1.959964 * se_log))
    direct = [multiplier_estimate(7, 10, 2, method="log"),
              multiplier_estimate(7, 12, 3, design_effect=1.5, method="log")]  # fmt: skip
    pooled = combine_multipliers(direct)
    estimate = payload["estimate"]
    assert (estimate["abundance"], estimate["ci_low"], estimate["ci_high"]) == pytest.approx(
        (pooled.estimate, pooled.ci_low, pooled.ci_high), rel=1e-12
    )
    assert payload["pooling"]["weights"] == pytest.approx(list(pooled.weights))
    # on the narcological register on 31 December 2003: clients 11 and 8 (still open)
    assert payload["registered_users"] == 2
    assert payload["registered_on"] == "2003-12-31"
    assert payload["per_registered_denominator"] == "register_at_period_end"
    assert payload["per_registered"] == pytest.approx(pooled.estimate / 2)
    assert payload["per_registered_ci"] == pytest.approx([pooled.ci_low / 2, pooled.ci_high / 2])
    assert payload["key_population"] == "pwud"  # the multiplier's default
    assert payload["population"] == KG_POPULATION
    assert payload["rate_per_100k"]["rate"] == pytest.approx(
        rate_per_100k(pooled.estimate, KG_POPULATION)
    )
    assert [row["row"] for row in done["rows"]] == ["estimate", "survey", "survey"]


def test_a_typed_benchmark_with_one_survey_and_the_wilson_interval(app, ost_records):
    with app.app_context():
        payload = run({"method": "multiplier", "parameters": {
            "benchmark": 1505, "interval": "wilson",
            "surveys": [{"in_benchmark": 100, "sample_size": 400}]}},
            ost_records.epi)["payload"]  # fmt: skip
    direct = multiplier_estimate(1505, 400, 100, method="wilson")
    assert payload["estimate"]["abundance"] == 6020.0  # 1505 / 0.25
    assert payload["estimate"]["ci_low"] == pytest.approx(direct.ci_low, rel=1e-12)
    assert payload["estimate"]["ci_high"] == pytest.approx(direct.ci_high, rel=1e-12)
    assert payload["pooling"] is None and payload["benchmark"]["ref"] is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"parameters": {"surveys": [{"in_benchmark": 2, "sample_size": 10}]}}, "benchmark"),
        ({"lists": ["registry:ost"], "parameters": {"benchmark": 5, "surveys": [
            {"in_benchmark": 2, "sample_size": 10}]}}, "benchmark"),
        ({"parameters": {"benchmark": 5, "surveys": [{"in_benchmark": 12, "sample_size": 10}]}},
         "surveys"),
        ({"parameters": {"benchmark": 5, "surveys": [{"in_benchmark": 10, "sample_size": 10}]}},
         "interval"),
        ({"parameters": {"benchmark": 5, "surveys": []}}, "surveys"),
    ],
)  # fmt: skip
def test_invalid_multiplier_parameters_name_their_field(app, ost_records, data, field):
    with app.app_context():
        actor = db.session.get(User, ost_records.epi)
        study = {"method": "multiplier", "period": "2003", "area_code": "KG", "lists": [], **data}
        with pytest.raises(ValidationError) as error:
            studies.create_study(study, actor=actor)
        assert field in error.value.messages["parameters"]


def test_retention_curve_matches_the_hand_computed_kaplan_meier(app, ost_records):
    with app.app_context():
        done = run({"method": "retention", "lists": ["registry:ost"], "parameters": {
            "analysis_date": ANALYSIS_DATE, "cox": True}}, ost_records.epi)  # fmt: skip
    payload = done["payload"]
    assert payload["cohort"] == 6 and payload["without_doses"] == 1
    overall = payload["overall"]
    assert (overall["n"], overall["events"]) == (6, 4)
    # S(182) = 5/6 * 4/5 = 2/3; S(365) = 2/3 * 2/3 = 4/9 (three at risk at 300 days)
    assert overall["at_6_months"]["survival"] == pytest.approx(2 / 3)
    assert overall["at_12_months"]["survival"] == pytest.approx(4 / 9)
    durations = [d for d, *_ in DURATIONS]
    events = [e for _, e, *_ in DURATIONS]
    direct = kaplan_meier(durations, events).at(365)
    assert overall["at_12_months"] == pytest.approx(
        {"survival": direct.survival, "ci_low": direct.ci_low, "ci_high": direct.ci_high}
    )
    dose = payload["groups"]["dose"]
    assert {k: v["n"] for k, v in dose["levels"].items()} == {"adequate": 4, "low": 2}
    chi2, p_value, df = logrank_test(durations, events, [g for *_, g, _ in DURATIONS])
    assert dose["logrank"] == pytest.approx({"chi_square": chi2, "p_value": p_value, "df": df})
    assert payload["person_years"] == pytest.approx(sum(durations) / 365.25)
    assert set(payload["curves"]) == {"all", "adequate dose", "low dose"}
    assert payload["curves"]["all"]["times"][0] == pytest.approx(20 / (365.25 / 12))
    assert payload["cox"] is not None
    assert done["rows"][0]["survival_6m"] == pytest.approx(2 / 3)


def test_a_shorter_interruption_rule_and_a_default_analysis_date(app, ost_records):
    with app.app_context():
        payload = run({"method": "retention", "parameters": {"max_gap_days": 6}},
                      ost_records.epi)["payload"]  # fmt: skip
    # a 5-day gap no longer ends D's episode: 50 days, so S(182) = 4/5 * 3/4... by hand:
    # times 50, 100 (events), 200 censored, 300, 400 events, C censored at its last dose
    assert payload["analysis_date"] == "2004-12-31"  # C's last dose
    assert payload["overall"]["at_6_months"]["survival"] == pytest.approx(2 / 3)
    assert payload["max_gap_days"] == 6


def test_coverage_from_a_multiplier_job_and_typed(app, ost_records):
    with app.app_context():
        source = run({"method": "multiplier", "parameters": {"benchmark": 10, "surveys": [
            {"in_benchmark": 1, "sample_size": 4}]}}, ost_records.epi)  # fmt: skip
        from_job = run({"method": "coverage", "parameters": {"source_job": source["job"]}},
                       ost_records.epi)["payload"]  # fmt: skip
        typed = run({"method": "coverage", "parameters": {
            "estimate": 40, "estimate_low": 32, "estimate_high": 50}}, ost_records.epi)  # fmt: skip
    # on OST on 2003-12-31: C, E, the undosed enrolment and F's transfer in
    assert typed["payload"]["on_ost"] == 4
    cover = typed["payload"]["coverage"]
    assert (cover["coverage"], cover["ci_low"], cover["ci_high"]) == pytest.approx(
        (0.1, 0.08, 0.125)
    )
    assert cover["band"] == "low"
    estimate = source["payload"]["estimate"]
    direct = ost_coverage(4, estimate["abundance"], estimate["ci_low"], estimate["ci_high"])
    assert from_job["coverage"]["coverage"] == pytest.approx(direct.coverage)  # 4 / 40
    assert from_job["coverage"]["ci_high"] == pytest.approx(direct.ci_high)
    assert from_job["population_estimate"]["source"]["job"] == source["job"]
    assert [r["row"] for r in typed["rows"]] == ["coverage", "population_estimate"]


def test_projection_of_a_typed_base_under_the_default_scenarios(app, ost_records):
    with app.app_context():
        done = run({"method": "projection", "parameters": {"base": 5600, "horizon": 2}},
                   ost_records.epi)  # fmt: skip
    payload = done["payload"]
    trend = [y for y in payload["projections"] if y["scenario"] == "trend"]
    assert [y["year"] for y in trend] == [2004, 2005]
    assert trend[1]["value"] == pytest.approx(5600 * 1.06**2)  # mid of 5-7% a year
    assert (trend[0]["low"], trend[0]["high"]) == pytest.approx((5600 * 1.05, 5600 * 1.07))
    direct = project(2003, 5600, years=2)
    assert [y["value"] for y in payload["projections"]] == pytest.approx(
        [y.value for y in direct.years]
    )
    assert len(done["rows"]) == 1 + 3 * 2


def test_a_source_job_must_exist_and_have_succeeded(app, ost_records):
    with app.app_context():
        actor = db.session.get(User, ost_records.epi)
        base = {"method": "projection", "period": "2003", "area_code": "KG", "lists": []}
        with pytest.raises(ValidationError) as error:
            studies.create_study({**base, "parameters": {"source_job": 999}}, actor=actor)
        assert "source_job" in error.value.messages["parameters"]
        queued = studies.create_study({**base, "parameters": {"base": 10}}, actor=actor)
        db.session.commit()
        with pytest.raises(ValidationError) as error:
            studies.create_study({**base, "parameters": {"source_job": queued.id}}, actor=actor)
        assert "source_job" in error.value.messages["parameters"]
        db.session.rollback()
        projected = run({**base, "parameters": {"base": 10}}, ost_records.epi)["job"]
        with pytest.raises(ValidationError) as error:  # a projection is no population estimate
            studies.create_study({**base, "parameters": {"source_job": projected}}, actor=actor)
        assert "source_job" in error.value.messages["parameters"]
        db.session.rollback()
        with pytest.raises(ServiceError) as refused:
            studies.create_study({**base, "lists": ["registry:ost"],
                                  "parameters": {"base": 10}}, actor=actor)  # fmt: skip
        assert refused.value.field == "lists"
        clinic = db.session.get(User, ost_records.clinic)
        with pytest.raises(Exception, match="epidemiologists"):
            studies.create_study({**base, "parameters": {"base": 10}}, actor=clinic)


def test_the_cox_model_leaves_out_clients_whose_sex_is_unknown():
    """Unknown sex is not "not a man": those clients are left out and counted."""
    from registry.services.methods.retention import retention

    known = pd.DataFrame({
        "enrolment": range(12),
        "duration": [30, 60, 90, 120, 200, 250, 300, 365, 400, 45, 500, 80],
        "event": [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1],
        "dose": ["low", "adequate"] * 6,
        "sex": ["M", "F", "M", "M", "F", "F", "M", "F", "M", "F", "F", "M"],
    })  # fmt: skip
    unknown = pd.DataFrame({"enrolment": [12, 13, 14], "duration": [10, 20, 700],
                            "event": [1, 1, 0], "dose": ["adequate"] * 3,
                            "sex": ["U"] * 3})  # fmt: skip
    parameters = {"alpha": 0.05, "group": "dose", "cox": True, "analysis_date": ANALYSIS_DATE,
                  "max_gap_days": 30}  # fmt: skip
    alone = retention(known, parameters)["cox"]
    mixed = retention(pd.concat([known, unknown], ignore_index=True), parameters)["cox"]
    assert (mixed["clients"], mixed["sex_unknown"]) == (12, 3)
    assert mixed["terms"] == alone["terms"] and len(alone["terms"]) == 2
    assert retention(pd.concat([known, unknown]), parameters)["cohort"] == 15
