"""Approved estimates in analytics answers: which result wins, and what it costs to read them.

The small registry (conftest) has an approved capture-recapture estimate of KG 2003 (20).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from registry.analytics import parse_request, run_query
from registry.extensions import db
from tests.registry.analytics.conftest import add_estimate

ESTIMATES = "EST_USERS;EST_USERS_LOW;EST_USERS_HIGH;EST_PER_REG;OST_COVERAGE"


@pytest.fixture
def app_config() -> dict:
    return {"SUPPRESSION_THRESHOLD": 1}


@contextmanager
def statements():
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def estimates(actor, **args) -> dict:
    response = run_query(parse_request(args), actor=actor("ministry"))
    return {tuple(row[:3]): row[-2] for row in response.rows if row[0] == "EST_USERS"}


def test_reading_estimates_costs_the_same_for_one_area_or_every_region(small_registry, actor):
    # the regions' estimates were read one query per region, period and method (N+1)
    run_query(parse_request({"dx": ESTIMATES, "pe": "2003", "ou": "KG"}), actor=actor("ministry"))
    with statements() as one_area:
        run_query(parse_request({"dx": ESTIMATES, "pe": "2002;2003;2004", "ou": "KG"}),
                  actor=actor("ministry"))  # fmt: skip
    with statements() as every_region:
        run_query(parse_request({"dx": ESTIMATES, "pe": "2002;2003;2004",
                                 "ou": "LEVEL-1;LEVEL-2"}), actor=actor("ministry"))  # fmt: skip
    reads = [s for s in every_region if "estimation_results" in s]
    assert len(reads) == 1
    assert len(every_region) == len(one_area)


def test_the_latest_approved_method_wins_and_a_method_counts_by_its_latest_result(
    small_registry, actor, db_session
):
    kg, region = small_registry, "KG-GB"
    start = datetime(2020, 1, 1, tzinfo=UTC)

    def approved(area, period, value, method, minutes):
        result = add_estimate(kg, area, period, value, value - 1, value + 1, approved=True,
                              method=method)  # fmt: skip
        result.approved_at = start + timedelta(minutes=minutes)
        return result

    approved(region, "2003", 100, "capture_recapture", 1)
    approved(region, "2003", 200, "count_estimators", 2)  # approved later: wins
    approved(region, "2004", 300, "capture_recapture", 1)
    approved(region, "2004", 400, "count_estimators", 2)
    newest = approved(region, "2004", 500, "count_estimators", 3)
    newest.payload = {"estimate": {"abundance": None}}  # the method's latest has none
    db_session.commit()
    got = estimates(actor, dx="EST_USERS", pe="2003;2004", ou="KG;KG-GB")
    assert got[("EST_USERS", "2003", "KG-GB")] == 200
    # count_estimators' latest result has no estimate, so its older 400 does not count
    assert got[("EST_USERS", "2004", "KG-GB")] == 300
    assert got[("EST_USERS", "2003", "KG")] == 20
    assert got[("EST_USERS", "2004", "KG")] is None


def test_a_stored_result_is_read_once_for_the_same_json(small_registry, db_session):
    # typed payloads are kept by their JSON (registry.services.methods.payload.load_stored)
    from registry.services.methods import METHODS

    result = add_estimate(small_registry, "KG-GB", "2003", 100, 99, 101, approved=True)
    db_session.commit()
    method = METHODS["capture_recapture"]
    first = method.read(result.payload)
    again = method.read(json.loads(json.dumps(result.payload)))  # an equal copy
    assert again is first and first.estimate.abundance == 100
    changed = {**result.payload, "estimate": {**result.payload["estimate"], "abundance": 150}}
    assert method.read(changed).estimate.abundance == 150
    assert method.read(result.payload) is first
    being_built = {**result.payload, "parameters": {"when": datetime(2020, 1, 1)}}  # not JSON
    assert method.read(being_built) is not method.read(being_built)


def test_a_changed_result_shows_its_new_estimate(small_registry, actor, db_session):
    result = add_estimate(small_registry, "KG-GB", "2003", 100, 99, 101, approved=True)
    db_session.commit()
    assert estimates(actor, dx="EST_USERS", pe="2003", ou="KG-GB")[
        ("EST_USERS", "2003", "KG-GB")] == 100  # fmt: skip
    result.payload = {**result.payload, "estimate": {**result.payload["estimate"],
                                                     "abundance": 150}}  # fmt: skip
    db_session.commit()
    assert estimates(actor, dx="EST_USERS", pe="2003", ou="KG-GB")[
        ("EST_USERS", "2003", "KG-GB")] == 150  # fmt: skip
