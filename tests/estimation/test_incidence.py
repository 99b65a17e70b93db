"""HIV incidence among repeat testers: person-time from test histories.

Expected values are own calculations from the rule in the docstring (follow-up from the
first negative test; seroconversion at the midpoint between the last negative and the
first positive test; days / 365.25).
"""

import math

import pandas as pd
import pytest

from estimation.incidence import repeat_tester_incidence, repeat_tester_person_time

TESTS = pd.DataFrame(
    {
        "client_id": [1, 1, 1, 2, 2, 2, 3, 3, 4],
        "date": [
            "2020-01-01",
            "2020-07-01",
            "2021-07-01",  # 1: converts between tests 2, 3
            "2020-01-01",
            "2020-04-01",
            "2021-01-01",  # 2: stays negative
            "2020-03-01",
            "2020-09-01",  # 3: positive at first test: prevalent
            "2020-05-05",
        ],  # 4: a single negative test
        "result": [0, 0, 1, 0, 0, "negative", "positive", 1, 0],
    }
)


def test_person_time_and_seroconversions():
    result = repeat_tester_person_time(TESTS)
    # Client 1: 1 Jan 2020 to midpoint of 1 Jul 2020 and 1 Jul 2021 (365 days / 2 later);
    # client 2: 1 Jan 2020 to 1 Jan 2021 (366 days).
    days = (pd.Timestamp("2020-07-01") - pd.Timestamp("2020-01-01")).days + 365 / 2 + 366
    assert result.seroconversions == 1
    assert result.person_years == pytest.approx(days / 365.25)
    assert (result.repeat_testers, result.excluded_prevalent) == (2, 1)
    rate = result.incidence()
    assert rate.rate_per_100py == pytest.approx(100 / (days / 365.25))


def test_incidence_uses_the_exact_poisson_interval():
    # Own calculation for k = 1, T = 2: lower = chi2_{2, .025} / 4 = -log(0.975) / 2
    # (closed form for 2 df); upper = chi2_{4, .975} / 4 = 11.143287 / 4 (printed chi-square
    # tables); per 100 person-years.
    rate = repeat_tester_incidence(1, 2.0)
    assert rate.ci_low == pytest.approx(100 * -math.log(0.975) / 2, rel=1e-10)
    assert rate.ci_high == pytest.approx(100 * 11.143287 / 4, abs=1e-4)


def test_no_repeat_testers_is_a_clear_error():
    with pytest.raises(ValueError, match="no repeat testers"):
        repeat_tester_person_time(TESTS[TESTS["client_id"] == 4])
    with pytest.raises(ValueError, match="results 0/1"):
        repeat_tester_person_time(TESTS.assign(result="maybe"))


def test_cli_repeat_tests(run_json, tmp_path):
    surveillance = tmp_path / "hiv.csv"
    surveillance.write_text("year,tested,positive\n2020,100,5\n2021,100,7\n")
    tests = tmp_path / "tests.csv"
    TESTS.to_csv(tests, index=False)
    out = run_json("hiv-trend", surveillance, "--repeat-tests", tests)
    assert out["incidence"]["seroconversions"] == 1
    assert out["incidence"]["person_years"] == pytest.approx(
        repeat_tester_person_time(TESTS).person_years
    )
