"""Scenario projections: compound growth with the analysts' default scenarios (DOMAIN §1).

Expected values are own calculations of V (1 + g)^t.
"""

import pytest

from estimation.projection import DEFAULT_SCENARIOS, parse_scenario, project


def test_default_scenarios_are_the_analysts_ranges():
    assert DEFAULT_SCENARIOS == {"trend": (5.0, 7.0), "best": (-3.0, -2.0), "worst": (4.0, 5.0)}


def test_compound_growth_point_and_range():
    result = project(2002, 85509, years=5)
    trend = result.for_scenario("trend")
    assert [y.year for y in trend] == [2003, 2004, 2005, 2006, 2007]
    assert trend[0].value == pytest.approx(85509 * 1.06)
    assert trend[4].low == pytest.approx(85509 * 1.05**5)
    assert trend[4].high == pytest.approx(85509 * 1.07**5)
    best = result.for_scenario("best")
    assert best[1].low == pytest.approx(85509 * 0.97**2)
    assert all(y.low <= y.value <= y.high for y in result.years)


def test_base_interval_is_carried_into_the_range():
    result = project(
        2003, 400000, value_low=355000, value_high=432000, years=1, scenarios={"worst": (4, 5)}
    )
    (year,) = result.years
    assert (year.low, year.high) == pytest.approx((355000 * 1.04, 432000 * 1.05))


def test_parse_scenario():
    assert parse_scenario("best=-3:-2") == ("best", (-3.0, -2.0))
    assert parse_scenario("x=7:5") == ("x", (5.0, 7.0))
    with pytest.raises(ValueError, match="NAME=LOW:HIGH"):
        parse_scenario("best:-3")


@pytest.mark.parametrize("years", [0, 6, 2.5])
def test_horizon_is_one_to_five_years(years):
    with pytest.raises(ValueError, match="1 to 5"):
        project(2002, 100, years=years)


def test_cli_with_custom_scenarios(run_json):
    out = run_json(
        "project",
        "--base-year",
        "2002",
        "--value",
        "85509",
        "--years",
        "2",
        "--scenario",
        "best=-3:-2",
        "--scenario",
        "flat=0:0",
    )
    assert [s["name"] for s in out["scenarios"]] == ["best", "flat"]
    flat = out["scenarios"][1]["years"]
    assert [y["value"] for y in flat] == [85509, 85509]
    assert out["scenarios"][0]["years"][0]["low"] == pytest.approx(85509 * 0.97)


def test_cli_defaults_and_bad_scenario(run_json, run_cli):
    out = run_json("project", "--base-year", "2002", "--value", "85509")
    assert [s["name"] for s in out["scenarios"]] == ["trend", "best", "worst"]
    assert len(out["scenarios"][0]["years"]) == 5
    code, _, err = run_cli("project", "--base-year", "2002", "--value", "1", "--scenario", "x")
    assert code == 2 and "NAME=LOW:HIGH" in err
