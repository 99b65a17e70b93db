"""The demo ends with the default study's estimate approved, so the ministry sees one.

``flask demo load`` (small scale, as tests/registry/test_demo.py) uploads the simulator's
lists as the demo epidemiologist, runs the default capture-recapture study of KG 2003 with
the worker's code and approves its result. The estimate is checked against the estimation
library run on the same four lists read independently (the registry's 2003 entrants from
the database, the CSV files' 2003 rows), and the ministry's analytics query must give it.
"""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from estimation.capture_recapture import CaptureHistories, search_models
from estimation.capture_recapture.averaging import AveragedEstimate
from estimation.capture_recapture.diagnostics import auto_average
from registry.analytics import parse_request, run_query
from registry.demo import DemoRefusedError
from registry.demo.estimate import estimate_demo, study_year
from registry.extensions import db
from registry.models import AuditEvent, EstimationResult, SourceList, Study, User
from registry.services.approvals import latest_approved_result
from tests.registry.simulation.test_sim_load import registered_in

LISTS = ("police", "prison", "hiv_testing")
ESTIMATES = (
    "EST_USERS;EST_USERS_LOW;EST_USERS_HIGH;EST_PER_REG;REG_CLIENTS;OST_CLIENTS;OST_COVERAGE"
)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def library_average(lists_dir) -> AveragedEstimate:
    """The default model average of the 2003 lists, straight from the estimation library."""
    sources = {"registry": registered_in(2003)}
    for name in LISTS:
        with (lists_dir / f"{name}.csv").open(encoding="utf-8") as handle:
            rows = csv.DictReader(handle)
            sources[name] = {r["client_code"] for r in rows if r["contact_date"][:4] == "2003"}
    histories = CaptureHistories.from_sets(sources)
    return auto_average(histories, search_models(histories, criterion="bic"))[0]


def audited(user: User, action: str, entity: str, detail: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.user_id == user.id, AuditEvent.action == action,
                                     AuditEvent.entity == entity)  # fmt: skip
    if detail is not None:
        query = query.where(AuditEvent.detail == detail)
    return list(db.session.scalars(query))


def test_demo_load_ends_with_an_approved_estimate_of_2003(app, runner, tmp_path):
    loaded = runner.invoke(
        args=["demo", "load", "--scale", "0.2", "--workers", "1", "--lists-out", str(tmp_path)]
    )
    assert loaded.exit_code == 0, loaded.output
    assert "Estimate for KG 2003 approved by the demo epidemiologist" in loaded.output
    with app.app_context():
        epi = db.session.scalar(select(User).where(User.username == "epi"))
        ministry = db.session.scalar(select(User).where(User.username == "ministry"))
        result = latest_approved_result("capture_recapture", "KG", "2003")
        assert result is not None and result.approved_by_id == epi.id
        study = result.job.study
        assert result.job.state == "succeeded" and result.job.created_by_id == epi.id
        assert study.created_by_id == epi.id and study.area.code == "KG"
        assert study.lists[0] == "registry:treatment_entrants" and len(study.lists) == 4
        assert study.parameters["analysis"] == "average"
        assert study.parameters["criterion"] == "aic"
        estimate, direct = result.payload["estimate"], library_average(tmp_path)
        assert estimate["name"] == f"average ({direct.criterion.upper()})"
        assert estimate["abundance"] == pytest.approx(direct.abundance, rel=1e-6)
        # each step is audited as the epidemiologist's, the approval included
        assert len(audited(epi, "create", "source_list")) == 3
        assert len(audited(epi, "create", "study")) == 1
        assert [e.entity_id for e in audited(epi, "update", "estimation_result", "approve")] == [
            result.id
        ]

        response = run_query(parse_request({"dx": ESTIMATES, "pe": "2003;2004", "ou": "KG"}),
                             actor=ministry)  # fmt: skip
        got = {(row[0], row[1]): (row[-2], row[-1]) for row in response.rows}
        abundance = estimate["abundance"]
        assert got[("EST_USERS", "2003")] == (round(abundance), "ok")
        assert got[("EST_USERS_LOW", "2003")] == (round(estimate["ci_low"]), "ok")
        assert got[("EST_USERS_HIGH", "2003")] == (round(estimate["ci_high"]), "ok")
        (registered, status), (on_ost, ost_status) = (got[("REG_CLIENTS", "2003")],
                                                      got[("OST_CLIENTS", "2003")])  # fmt: skip
        assert status == "ok" and registered > 0
        assert got[("EST_PER_REG", "2003")] == (round(abundance / registered, 2), "ok")
        if ost_status == "ok":
            assert on_ost > 0
            assert got[("OST_COVERAGE", "2003")] == (round(100 * on_ost / abundance, 1), "ok")
        else:  # a small OST census (here one woman on OST) is withheld, and its rate with it
            assert (on_ost, ost_status) == (None, "suppressed")
            assert got[("OST_COVERAGE", "2003")] == (None, "suppressed")
        assert got[("EST_USERS", "2004")] == (None, "no_estimate")  # only 2003 is approved
        db.session.commit()

    # a registry with data is refused, and gets no second study
    refused = runner.invoke(args=["demo", "load", "--scale", "0.2"])
    assert refused.exit_code == 1 and "not empty" in refused.output
    skipped = runner.invoke(args=["demo", "load", "--if-empty", "--scale", "0.2"])
    assert skipped.exit_code == 0 and "already has data" in skipped.output
    with app.app_context():
        assert (count(Study), count(EstimationResult), count(SourceList)) == (1, 1, 3)

        # a study that cannot be made (no lists here) leaves nothing half-written
        missing = estimate_demo("KG", (1998, 2004), tmp_path / "no-lists")
        assert missing.error and not missing.approved
        assert (count(Study), count(EstimationResult), count(SourceList)) == (1, 1, 3)


def test_the_study_year_is_2003_when_loaded_else_the_last_year():
    assert study_year((1998, 2004)) == 2003
    assert study_year((2003, 2003)) == 2003
    assert study_year((2005, 2007)) == 2007
    assert study_year((1998, 2002)) == 2002


def test_the_demo_estimate_is_refused_in_production(app, tmp_path):
    app.config["REGISTRY_ENV"] = "production"
    with app.app_context(), pytest.raises(DemoRefusedError):
        estimate_demo("KG", (1998, 2004), tmp_path)
