"""Issue 14 items 5-7 through the studies service: the population an estimate is of, one
"users per registered user", and coded plausibility warnings.

``ost_records`` (test_methods_services) puts two clients on the narcological register on
31 December 2003 (two registrations at RNC still open; three others closed during the
year) and seeds an OST cohort whose only woman is one client.
"""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from registry.extensions import db
from registry.models import User
from registry.services import studies
from registry.services.methods import sources
from registry.services.periods import find_area
from tests.registry.jobs.test_methods_services import (
    ost_records,  # noqa: F401 - fixture
    run,
)

SURVEYS = [{"in_benchmark": 100, "sample_size": 400}]


def test_the_register_is_counted_on_the_period_s_last_day(app, ost_records):  # noqa: F811
    from datetime import date

    with app.app_context():
        kg = find_area("KG")
        # five registrations in 2003, two still open at its end
        assert sources.registered(kg, date(2003, 12, 31)) == 2
        assert sources.registered(kg, date(2003, 3, 10)) == 1  # only the first, then open
        assert sources.registered(find_area("KG-GO"), date(2003, 12, 31)) == 0  # all at RNC


def test_every_estimating_method_divides_by_the_same_register_count(app, ost_records):  # noqa: F811
    with app.app_context():
        multiplier = run(
            {"method": "multiplier", "parameters": {"benchmark": 1505, "surveys": SURVEYS}},
            ost_records.epi,
        )["payload"]
        counted = run({"method": "count_estimators", "lists": ["registry:ost"]}, ost_records.epi)[
            "payload"
        ]
    for payload in (multiplier, counted):
        assert payload["registered_users"] == 2
        assert payload["registered_on"] == "2003-12-31"
        assert payload["per_registered_denominator"] == "register_at_period_end"
        estimate = payload["estimate"]
        if estimate["abundance"] is not None:
            assert payload["per_registered"] == pytest.approx(estimate["abundance"] / 2)
    assert multiplier["per_registered"] == pytest.approx(1505 / 0.25 / 2)


def test_an_estimate_records_its_population_default_or_chosen(app, ost_records):  # noqa: F811
    with app.app_context():
        default = run(
            {"method": "multiplier", "parameters": {"benchmark": 1505, "surveys": SURVEYS}},
            ost_records.epi,
        )
        chosen = run(
            {"method": "multiplier", "parameters": {"benchmark": 1505, "surveys": SURVEYS,
                                                    "key_population": "opioid_pwid"}},
            ost_records.epi,
        )  # fmt: skip
    assert default["payload"]["key_population"] == "pwud"
    assert chosen["payload"]["key_population"] == "opioid_pwid"
    assert default["rows"][0]["key_population"] == "pwud"  # and in the CSV
    assert default["rows"][0]["per_registered_denominator"] == "register_at_period_end"


@pytest.mark.parametrize("method", ["capture_recapture", "count_estimators", "multiplier"])
def test_a_population_is_a_parameter_of_every_estimating_method(app, ost_records, method):  # noqa: F811
    def create(population: str) -> None:
        studies.create_study(
            {"method": method, "period": "2003", "area_code": "KG",
             "lists": {"capture_recapture": ["registry:ost", "registry:registrations"],
                       "count_estimators": ["registry:ost"]}.get(method, []),
             "parameters": {"key_population": population,
                            **({"benchmark": 9, "surveys": SURVEYS}
                               if method == "multiplier" else {})}},
            actor=actor,
        )  # fmt: skip

    with app.app_context():
        actor = db.session.get(User, ost_records.epi)
        create("pwid")  # accepted
        db.session.rollback()
        with pytest.raises(ValidationError) as refused:
            create("everyone")
    assert "key_population" in refused.value.messages["parameters"]


def test_a_multiplier_below_the_register_is_warned(app, ost_records):  # noqa: F811
    # a benchmark of 1 found by the whole survey: N = 1, below the 2 people registered
    with app.app_context():
        low = run(
            {"method": "multiplier",
             "parameters": {"benchmark": 1, "interval": "wilson",
                            "surveys": [{"in_benchmark": 5, "sample_size": 5}]}},
            ost_records.epi,
        )["payload"]  # fmt: skip
        fine = run(
            {"method": "multiplier", "parameters": {"benchmark": 1505, "surveys": SURVEYS}},
            ost_records.epi,
        )["payload"]
    assert low["estimate"]["abundance"] == pytest.approx(1.0)
    assert {"code": "estimate_below_registered", "estimate": pytest.approx(1.0),
            "registered": 2} in low["warnings"]  # fmt: skip
    assert fine["warnings"] == []


def test_a_zero_width_retention_interval_of_a_tiny_group_is_warned(app, ost_records):  # noqa: F811
    with app.app_context():
        payload = run(
            {"method": "retention", "parameters": {"analysis_date": "2004-12-31",
                                                   "group": "sex"}},
            ost_records.epi,
        )["payload"]  # fmt: skip
    women = payload["groups"]["sex"]["levels"]["F"]
    assert women["n"] == 1  # E, retained 400 days: 100% at 6 and 12 months, bounds equal
    assert women["at_6_months"]["ci_low"] == women["at_6_months"]["ci_high"]
    warnings = [w for w in payload["warnings"] if w["code"] == "zero_width_interval"]
    assert {"code": "zero_width_interval", "what": "retention", "group": "sex:F",
            "months": 6, "n": 1} in warnings  # fmt: skip
    # every warned interval has equal bounds; no group with a real interval is warned
    for w in warnings:
        column, _, level = w["group"].partition(":")
        summary = payload["overall"] if w["group"] == "all" else (
            payload["groups"][column]["levels"][level])  # fmt: skip
        at = summary[f"at_{w['months']}_months"]
        assert at["ci_low"] == at["ci_high"]
    assert all(w["group"] != "all" for w in warnings)


def test_coverage_of_another_population_is_warned(app, ost_records):  # noqa: F811
    with app.app_context():
        users = run(
            {"method": "multiplier", "parameters": {"benchmark": 1505, "surveys": SURVEYS}},
            ost_records.epi,
        )
        from_job = run(
            {"method": "coverage", "parameters": {"source_job": users["job"]}}, ost_records.epi
        )["payload"]
        typed = run({"method": "coverage", "parameters": {"estimate": 50}}, ost_records.epi)
        typed_pwid = run(
            {"method": "coverage", "parameters": {"estimate": 50, "key_population": "pwid"}},
            ost_records.epi,
        )["payload"]
    assert from_job["population_estimate"]["key_population"] == "pwud"
    assert from_job["population_estimate"]["source"]["key_population"] == "pwud"
    assert from_job["warnings"] == [
        {"code": "coverage_population", "population": "pwud", "expected": "opioid_pwid"}
    ]
    # a typed estimate is of opioid-dependent PWID unless it says otherwise
    assert typed["payload"]["population_estimate"]["key_population"] == "opioid_pwid"
    assert typed["payload"]["warnings"] == []
    assert typed_pwid["warnings"][0]["population"] == "pwid"


def test_a_job_s_estimate_brings_its_population_so_none_may_be_chosen(app, ost_records):  # noqa: F811
    with app.app_context():
        users = run(
            {"method": "multiplier", "parameters": {"benchmark": 1505, "surveys": SURVEYS}},
            ost_records.epi,
        )
        actor = db.session.get(User, ost_records.epi)
        for method in ("coverage", "projection"):
            with pytest.raises(ValidationError) as refused:
                studies.create_study(
                    {"method": method, "period": "2003", "area_code": "KG", "lists": [],
                     "parameters": {"source_job": users["job"],
                                    "key_population": "opioid_pwid"}},
                    actor=actor,
                )  # fmt: skip
            assert "key_population" in refused.value.messages["parameters"], method
            db.session.rollback()
        projected = run({"method": "projection", "parameters": {"source_job": users["job"]}},
                        ost_records.epi)["payload"]  # fmt: skip
    assert projected["base"]["key_population"] == "pwud"
