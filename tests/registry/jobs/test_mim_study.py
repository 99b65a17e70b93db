"""MIM studies: indicators from the analytics counts, approved anchors, the dashboard.

A small simulated Kyrgyz registry of 2003 (the demo loader at a small scale, written
through the real schemas and database) gives every region its counts; three approved
capture-recapture results of three regions are the anchors. The payload is compared
with a direct library call on the same indicators, and the approved result reaches the
ministry's analytics as estimated users of every non-anchor region.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from flask_babel import force_locale
from marshmallow import ValidationError
from sqlalchemy import select

from estimation.mim import mim_estimate
from registry.analytics import parse_request, run_query
from registry.extensions import db
from registry.models import EstimationJob, EstimationResult, OrgUnit, Study, User
from registry.models.users import EPIDEMIOLOGIST, MINISTRY
from registry.services import approvals, studies
from registry.services.errors import ServiceError
from registry.simulation.load import load_demo

pytestmark = pytest.mark.slow

ANCHORS = {"KG-GB": (20_000, 16_000, 26_000), "KG-J": (6_000, 4_500, 8_000),
           "KG-Y": (3_000, 2_200, 4_000)}  # fmt: skip
INDICATORS = ["TDI_ENTRANTS", "REG_CLIENTS"]


@pytest.fixture
def app_config() -> dict:
    # nothing withheld unless a test raises it; a small region's police upload is small
    return {"SUPPRESSION_THRESHOLD": 1, "LINKAGE_MIN_LIST_CODES": 5}


def approved_estimate(area: str, period: str, value, low, high, population="pwud",
                      parameters=None) -> int:  # fmt: skip
    """A succeeded, approved capture-recapture study of ``area``; its id."""
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == area))
    year = int(period[:4])
    study = Study(title=f"CR {area}", method="capture_recapture", parameters=parameters or {},
                  lists=[],
                  period=period, period_start=date(year, 1, 1), period_end=date(year, 12, 31),
                  area_id=unit.id)  # fmt: skip
    now = datetime.now(UTC)
    job = EstimationJob(study=study, state="succeeded")
    result = EstimationResult(job=job, input_hash="1" * 64, software_version="test",
                              started_at=now, finished_at=now, approved=True, approved_at=now,
                              payload={"estimate": {"abundance": value, "ci_low": low,
                                                    "ci_high": high},
                                       "key_population": population})  # fmt: skip
    db.session.add_all([study, job, result])
    db.session.flush()
    return study.id


@pytest.fixture
def demo(app):
    """A small simulated registry of 2003 and three approved anchors; their study ids."""
    with app.app_context():
        load_demo("KG", (2003, 2003), scale=0.1, seed=3)
        ids = [approved_estimate(area, "2003", *values) for area, values in ANCHORS.items()]
        db.session.commit()
    return ids


def user(role: str) -> User:
    return db.session.scalar(select(User).where(User.role == role, User.active))


def compute(parameters: dict, **study) -> tuple[EstimationJob, EstimationResult]:
    job = studies.create_study({"method": "mim", "period": "2003", "area_code": "KG",
                                "lists": [], "parameters": parameters, **study},
                               actor=user(EPIDEMIOLOGIST))  # fmt: skip
    db.session.flush()
    result = studies.compute_result(job)
    db.session.add(result)
    job.state = "succeeded"
    db.session.commit()
    return job, result


def test_mim_study_estimates_every_region_as_the_library_does(app, demo):
    with app.app_context():
        _job, result = compute({"anchor_studies": demo, "indicators": INDICATORS,
                                "replicates": 300})  # fmt: skip
        payload = result.payload
        regions = {r["code"]: r for r in payload["regions"]}
        # Chui and Osh oblast have no centre: their people are counted in the cities
        assert set(regions) == {"KG-B", "KG-GB", "KG-GO", "KG-J", "KG-N", "KG-T", "KG-Y"}
        assert payload["indicators"] == INDICATORS
        table = pd.DataFrame({code: r["values"] for code, r in regions.items()}).T[INDICATORS]
        assert (table > 0).all().all()
        anchors = {a: (v, (lo, hi)) for a, (v, lo, hi) in ANCHORS.items()}
        expected = mim_estimate(table, anchors, replicates=300, seed=payload["seed"])
        for entry in expected.regions:
            got = regions[entry.region]
            assert got["estimate"] == pytest.approx(entry.estimate)
            assert (got["ci_low"], got["ci_high"]) == pytest.approx((entry.ci_low, entry.ci_high))
            assert got["anchor"] == (entry.region in ANCHORS)
        assert payload["estimate"]["abundance"] == pytest.approx(expected.national.estimate)
        assert payload["estimate"]["published"] is True
        assert payload["fit"]["tau2_uncertainty"] is True  # the interval carries tau2's
        # three anchors, one component: one residual degree of freedom, a warning
        assert {"code": "few_anchors", "anchors": 3, "df": 1} in payload["warnings"]
        assert {a["region"] for a in payload["anchors"]} == set(ANCHORS)
        rows = studies.result_rows(result)
        assert rows[0]["row"] == "national" and len(rows) == 8


def test_approved_mim_reaches_the_ministry_for_non_anchor_regions_only(app, demo):
    with app.app_context():
        _job, result = compute({"anchor_studies": demo, "indicators": INDICATORS,
                                "replicates": 300})  # fmt: skip
        ministry = user(MINISTRY)

        def published() -> dict:
            response = run_query(
                parse_request({"dx": "EST_USERS", "pe": "2003", "ou": "LEVEL-1;LEVEL-2"}),
                actor=ministry,
            )
            return {row[2]: row[-2] for row in response.rows}  # fmt: skip

        before = published()
        assert before["KG-T"] is None and before["KG-GB"] == ANCHORS["KG-GB"][0]
        approvals.approve_result(result, actor=user(EPIDEMIOLOGIST))
        db.session.commit()
        after = published()
        regions = {r["code"]: r for r in result.payload["regions"]}
        assert after["KG-T"] == round(regions["KG-T"]["estimate"])
        assert after["KG"] == round(result.payload["estimate"]["abundance"])
        # an anchor region keeps its own approved estimate, not the regression's
        assert after["KG-GB"] == ANCHORS["KG-GB"][0]


def test_a_region_with_a_withheld_count_is_not_published(app, demo):
    app.config["SUPPRESSION_THRESHOLD"] = 10  # Naryn and Talas have fewer entrants
    with app.app_context():
        _job, result = compute({"anchor_studies": demo, "replicates": 300,
                                "indicators": INDICATORS})  # fmt: skip
        withheld = [r["code"] for r in result.payload["regions"]
                    if not r["published"] and not r["anchor"]]  # fmt: skip
        assert withheld, "the test needs a non-anchor region with a withheld count"
        assert result.payload["estimate"]["published"] is False
        approvals.approve_result(result, actor=user(EPIDEMIOLOGIST))
        db.session.commit()
        response = run_query(
            parse_request({"dx": "EST_USERS", "pe": "2003", "ou": "LEVEL-1;LEVEL-2"}),
            actor=user(MINISTRY),
        )
        values = {row[2]: row[-2:] for row in response.rows}  # fmt: skip
        for code in withheld:
            assert values[code] == [None, "suppressed"]
        assert values["KG"] == [None, "suppressed"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda ids: {"anchor_studies": ids[:2]}, "anchor_studies", "three to thirty"),
        (lambda ids: {"anchor_studies": [*ids, 99999]}, "anchor_studies", "no approved result"),
        (lambda ids: {"anchor_studies": ids, "components": 2}, "anchor_studies",
         "two anchors more"),
        (lambda ids: {"anchor_studies": ids, "indicators": ["NOPE"]}, "indicators",
         "Unknown indicator"),
        (lambda ids: {"anchor_studies": ids, "key_population": "pwid"}, "anchor_studies",
         "another population"),
    ],
)  # fmt: skip
def test_bad_anchors_are_refused_and_nothing_is_saved(app, demo, change, field, message):
    with app.app_context(), force_locale("en"):  # the messages are formatted when raised
        count = db.session.query(Study).count()
        with pytest.raises(ValidationError) as error:
            studies.create_study({"method": "mim", "period": "2003", "area_code": "KG",
                                  "lists": [], "parameters": change(demo)},
                                 actor=user(EPIDEMIOLOGIST))  # fmt: skip
        db.session.rollback()
        assert message in str(error.value.messages["parameters"][field])
        assert db.session.query(Study).count() == count


def test_anchors_of_another_period_or_area_are_refused(app, demo):
    with app.app_context(), force_locale("en"):
        other_year = approved_estimate("KG-T", "2004", 900, 700, 1200)
        national = approved_estimate("KG", "2003", 90_000, 80_000, 100_000)
        same_region = approved_estimate("KG-GB", "2003", 21_000, 17_000, 27_000)
        db.session.commit()
        epi = user(EPIDEMIOLOGIST)
        for extra, message in ((other_year, "another period"),
                               (national, "not of a region"),
                               (same_region, "same region")):  # fmt: skip
            with pytest.raises(ValidationError) as error:
                studies.create_study({"method": "mim", "period": "2003", "area_code": "KG",
                                      "parameters": {"anchor_studies": [*demo, extra]}},
                                     actor=epi)  # fmt: skip
            db.session.rollback()
            assert message in str(error.value.messages["parameters"]["anchor_studies"])
        with pytest.raises(ServiceError, match="more regions than anchors"):
            studies.create_study(
                {
                    "method": "mim",
                    "period": "2003",
                    "area_code": "KG-GB",
                    "parameters": {"anchor_studies": demo},
                },
                actor=epi,
            )
        db.session.rollback()


@pytest.mark.parametrize(
    ("locale", "marks"),
    [("ru", ("Многомерный индикаторный метод", "Метод оценки")),
     ("en", ("Multivariate indicator method", "Estimated by"))],
)  # fmt: skip
def test_the_dashboard_shows_estimated_users_by_region(app, client, demo, locale, marks):
    from tests.registry.web.conftest import AuthActions

    with app.app_context():
        _job, result = compute({"anchor_studies": demo, "indicators": INDICATORS,
                                "replicates": 300})  # fmt: skip
        approvals.approve_result(result, actor=user(EPIDEMIOLOGIST))
        db.session.commit()
        talas = next(r for r in result.payload["regions"] if r["code"] == "KG-T")
    auth = AuthActions(client, "demo")
    auth.login("ministry")
    auth.post("/language", {"locale": locale, "next": "/"}, form_path="/login")
    page = client.get("/ministry/?year=2003").get_data(as_text=True)
    assert all(mark in page for mark in marks)
    assert 'data-method="mim"' in page and 'id="mim-note"' in page
    digits = f"{round(talas['estimate']):,}".replace(",", "\u00a0" if locale == "ru" else ",")
    assert digits in page
    plot = client.get("/ministry/plot.png?chart=regions&year=2003")
    assert plot.status_code == 200 and plot.data.startswith(b"\x89PNG")


def test_uploaded_police_lists_one_per_region_become_an_indicator(app, tmp_path):
    from registry.services.uploads import upload_code_list

    with app.app_context():
        load_demo("KG", (2003, 2003), scale=0.3, seed=5, lists_out=tmp_path)
        ids = [approved_estimate(area, "2003", *values) for area, values in ANCHORS.items()]
        regions = ["KG-B", "KG-GB", "KG-GO", "KG-J", "KG-N", "KG-T", "KG-Y"]
        refs = []
        for region in regions:  # the simulator's police file, as an agency sends it
            with (tmp_path / "police.csv").open("rb") as handle:
                source = upload_code_list(
                    handle,
                    source_name="police",
                    period="2003",
                    area_code=region,
                    actor=user(EPIDEMIOLOGIST),
                )
            refs.append((region, f"upload:{source.id}", source.code_count))
        db.session.commit()
        parameters = {"anchor_studies": ids, "indicators": INDICATORS, "replicates": 300}
        with pytest.raises(ServiceError) as refused:  # one region without its upload
            studies.create_study(
                {
                    "method": "mim",
                    "period": "2003",
                    "area_code": "KG",
                    "lists": [ref for _, ref, _ in refs[1:]],
                    "parameters": parameters,
                },
                actor=user(EPIDEMIOLOGIST),
            )
        db.session.rollback()
        assert refused.value.field == "lists"
        _job, result = compute(parameters, lists=[ref for _, ref, _ in refs])
        payload = result.payload
        assert payload["indicators"] == [*INDICATORS, "upload:police"]
        police = {r["code"]: r["values"]["upload:police"] for r in payload["regions"]}
        assert police == {region: count for region, _, count in refs}
        assert all(count > 0 for count in police.values())
        assert len(payload["pca"]["loadings"][0]) == 3


def test_an_anchor_run_at_90_percent_enters_with_its_own_level(app, demo):
    with app.app_context():
        value, low, high = 3_000, 2_400, 3_750
        ninety = approved_estimate("KG-N", "2003", value, low, high,
                                   parameters={"alpha": 0.1})  # fmt: skip
        db.session.commit()
        _job, result = compute({"anchor_studies": [*demo, ninety], "indicators": INDICATORS,
                                "replicates": 300})  # fmt: skip
        se = result.payload["fit"]["anchor_se"]
        assert se["KG-N"] == pytest.approx(math.log(high / low) / (2 * 1.6448536), rel=1e-6)
        gb = ANCHORS["KG-GB"]
        assert se["KG-GB"] == pytest.approx(math.log(gb[2] / gb[1]) / (2 * 1.959964), rel=1e-6)
