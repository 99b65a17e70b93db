"""Linkage and studies at the service level: periods, registry lists, strata, count lists."""

from __future__ import annotations

from datetime import date

import pytest

from registry.extensions import db
from registry.models import EstimationJob, User
from registry.services import linkage, studies
from registry.services.errors import ServiceError
from registry.services.periods import parse_period

LISTS = ["registry:treatment_entrants", "registry:ost"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2003", (date(2003, 1, 1), date(2003, 12, 31))),
     ("2004Q1", (date(2004, 1, 1), date(2004, 3, 31))),
     ("200402", (date(2004, 2, 1), date(2004, 2, 29)))],
)  # fmt: skip
def test_iso_periods(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["2003-01", "2003Q5", "200313", ""])
def test_bad_periods_name_the_field(text):
    with pytest.raises(ServiceError) as error:
        parse_period(text)
    assert error.value.field == "period"


def test_registry_lists_follow_period_and_area(app, population):
    with app.app_context():
        histories, report = linkage.build_histories(LISTS, period="2003", area_code="KG")
        assert [e["count"] for e in report["lists"]] == [
            len(population.lists["treatment"]), len(population.lists["ost"])
        ]  # fmt: skip
        bishkek = linkage.overlap_report(LISTS, period="2003", area_code="KG-GB")
        assert [e["count"] for e in bishkek["lists"]] == [len(population.lists["treatment"]), 0]
        other_year = linkage.overlap_report(LISTS, period="2001", area_code="KG")
        assert other_year["observed"] == 0
        with pytest.raises(ServiceError) as error:
            linkage.build_histories(LISTS, period="2001", area_code="KG")
        assert error.value.field == "lists"
        registrations = linkage.overlap_report(
            ["registry:registrations", "registry:prison"], period="2003Q1", area_code="KG"
        )
        assert [e["count"] for e in registrations["lists"]] == [
            len(population.lists["treatment"]), 0
        ]  # fmt: skip


def test_strata_by_sex_are_estimated_and_summed(app, population, registry_data):
    with app.app_context():
        by_sex, report = linkage.build_histories(LISTS, period="2003", area_code="KG", strata="sex")
        assert set(by_sex) == {"F", "M"}
        assert sum(h.observed for h in by_sex.values()) == report["observed"]
        actor = db.session.get(User, registry_data.users["epi"])
        job = studies.create_study(
            {"method": "capture_recapture", "lists": LISTS, "period": "2003",
             "area_code": "KG", "strata": "sex"}, actor=actor,
        )  # fmt: skip
        result = studies.compute_result(job)
        payload = result.payload
        assert set(payload["strata"]) == {"F", "M"}
        total = sum(s["abundance"] for s in payload["strata"].values())
        assert payload["estimate"]["abundance"] == pytest.approx(total)
        db.session.rollback()


def test_count_estimators_use_how_often_a_code_appears(app, api, registry_data):
    app.config["LINKAGE_MIN_LIST_CODES"] = 3  # a list this small is tested for what it counts
    content = "code\n" + "a" * 64 + "\n" + "a" * 64 + "\n" + "b" * 64 + "\n" + "c" * 64 + "\n"
    ref = api.upload(content.encode(), kind="codes").json["ref"]
    with app.app_context():
        actor = db.session.get(User, registry_data.users["epi"])
        job = studies.create_study(
            {"method": "count_estimators", "lists": [ref], "period": "2003", "area_code": "KG"},
            actor=actor,
        )
        payload = studies.compute_result(job).payload
        assert payload["frequencies"] == {"1": 2, "2": 1}
        assert payload["models"][0]["name"] == "chao"
        assert db.session.get(EstimationJob, job.id).state == "queued"
        db.session.rollback()


def test_hiv_trend_counts_clients_tested_and_positive_per_year(app, population, registry_data):
    from sqlalchemy import insert, select, update

    from estimation.hiv_trend import logistic_trend
    from registry.models import Client, LabTest, TreatmentEpisode

    with app.app_context():
        treated = select(TreatmentEpisode.client_id)  # people with an admission to mark
        clients = db.session.scalars(
            select(Client.id).where(Client.id.in_(treated)).order_by(Client.id)
        ).all()
        rows, expected = [], []
        for year in (2000, 2001, 2002, 2003):
            tested = clients[: 50 + 20 * (year - 2000)]
            positive = tested[: 2 + 2 * (year - 2000)]
            expected.append({"year": year, "tested": len(tested), "positive": len(positive)})
            rows += [{"client_id": c, "centre_id": registry_data.centres["RNC"], "test": "HIV",
                      "sample_date": date(year, 6, 1),
                      "result": "positive" if c in positive else "negative"}
                     for c in tested]  # fmt: skip
        db.session.execute(insert(LabTest), rows)
        # the trend is among people who inject drugs: every tested client injects, and
        # was admitted before the first test year (docs/methods/hiv-trends.md)
        episodes = TreatmentEpisode.__table__
        db.session.execute(update(episodes).values(route="1", admission_date=date(1999, 1, 1)))
        db.session.commit()
        actor = db.session.get(User, registry_data.users["epi"])
        job = studies.create_study(
            {"method": "hiv_trend", "lists": ["registry:hiv_tested"], "period": "2003",
             "area_code": "KG"}, actor=actor,
        )  # fmt: skip
        payload = studies.compute_result(job).payload
        assert [
            {k: y[k] for k in ("year", "tested", "positive")} for y in payload["years"]
        ] == expected
        import pandas as pd

        direct = logistic_trend(pd.DataFrame(expected))
        assert payload["trend"]["apc"] == pytest.approx(direct.apc)
        db.session.rollback()
