"""HIV prevalence, logistic trend, APC, joinpoints and incidence among repeat testers."""

import math

import numpy as np
import pandas as pd
import pytest

from estimation.hiv_trend import (
    hiv_joinpoints,
    logistic_trend,
    repeat_tester_incidence,
    yearly_prevalence,
)

# Bliss (1935) beetle mortality, as analysed in Dobson AJ (1990) An Introduction to
# Generalized Linear Models, section 8.3. "year" holds dose x 10,000 so that it is a whole
# number; the slope is then the published one divided by 10,000.
BEETLES = pd.DataFrame(
    {
        "year": [16907, 17242, 17552, 17842, 18113, 18369, 18610, 18839],
        "tested": [59, 60, 62, 56, 63, 59, 62, 60],
        "positive": [6, 13, 18, 28, 52, 53, 61, 60],
    }
)


def test_logistic_trend_matches_glm_binomial_reference():
    # R: glm(cbind(killed, n - killed) ~ dose, family = binomial)   (Dobson 1990, Table 8.2;
    # the same fit printed by glmlab, www.sci.usq.edu.au/staff/dunn/glmlab):
    #   dose  34.270326  (s.e. 2.912134);  residual deviance 11.232231 on 6 df.
    # Tolerance 1e-4 on the coefficient and its s.e., 1e-5 on the deviance.
    trend = logistic_trend(BEETLES)
    assert trend.slope * 1e4 == pytest.approx(34.270326, abs=1e-4)
    assert trend.se * 1e4 == pytest.approx(2.912134, abs=1e-4)
    assert trend.deviance == pytest.approx(11.232231, abs=1e-5)
    assert trend.df_resid == 6
    assert trend.odds_ratio_per_year == pytest.approx(math.exp(trend.slope))
    z = 1.959963984540054
    assert trend.conf_int() == pytest.approx(
        (math.exp(trend.slope - z * trend.se), math.exp(trend.slope + z * trend.se))
    )


def test_apc_of_exact_doubling_is_100_percent():
    # Own calculation: prevalence 1%, 2%, 4%, 8% fits the log-linear model exactly.
    data = pd.DataFrame(
        {"year": [2001, 2002, 2003, 2004], "tested": [1000] * 4, "positive": [10, 20, 40, 80]}
    )
    trend = logistic_trend(data)
    assert trend.apc == pytest.approx(100.0, abs=1e-6)
    assert trend.apc_low < 100 < trend.apc_high


def test_yearly_prevalence_uses_wilson_and_handles_zero_positives():
    data = pd.DataFrame({"year": [2003, 2002], "tested": [20, 263], "positive": [0, 81]})
    rows = yearly_prevalence(data)
    assert [r.year for r in rows] == [2002, 2003]  # sorted
    # Newcombe (1998) Table I: 81/263 -> 0.2553-0.3662; 0/20 -> 0-0.1611.
    assert (rows[0].ci_low, rows[0].ci_high) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert (rows[1].prevalence, rows[1].ci_low) == (0.0, 0.0)
    assert rows[1].ci_high == pytest.approx(0.1611, abs=5e-5)


def test_trend_with_a_year_without_positives_is_finite():
    data = pd.DataFrame(
        {"year": [2010, 2011, 2012, 2013], "tested": [100, 100, 100, 100], "positive": [0, 3, 5, 9]}
    )
    trend = logistic_trend(data)
    assert np.isfinite(
        [trend.odds_ratio_per_year, trend.ci_low, trend.ci_high, trend.p_value]
    ).all()
    assert trend.odds_ratio_per_year > 1


def test_single_year_has_no_trend():
    with pytest.raises(ValueError, match="at least two years"):
        logistic_trend(pd.DataFrame({"year": [2002], "tested": [100], "positive": [5]}))


def test_no_positive_at_all_has_no_trend():
    data = pd.DataFrame({"year": [2001, 2002], "tested": [50, 60], "positive": [0, 0]})
    with pytest.raises(ValueError, match="at least one positive"):
        logistic_trend(data)


def test_perfect_separation_is_a_clear_error():
    data = pd.DataFrame({"year": [2001, 2002, 2003], "tested": [50] * 3, "positive": [0, 0, 50]})
    with pytest.raises(ValueError, match="separation"):
        logistic_trend(data)
    quasi = data.assign(positive=[0, 0, 7])  # only the last year has positives: still infinite
    with pytest.raises(ValueError, match="separation"):
        logistic_trend(quasi)


def test_invalid_surveillance_rows_are_rejected():
    with pytest.raises(ValueError, match="between 0 and tested"):
        yearly_prevalence(pd.DataFrame({"year": [2001], "tested": [5], "positive": [6]}))
    with pytest.raises(ValueError, match="once"):
        yearly_prevalence(
            pd.DataFrame({"year": [2001, 2001], "tested": [5, 5], "positive": [1, 1]})
        )


def test_joinpoints_find_a_rise_then_a_plateau():
    years = np.arange(2000, 2014)
    prevalence = np.where(years <= 2006, 0.02 * 1.3 ** (years - 2000), 0.02 * 1.3**6)
    data = pd.DataFrame({"year": years, "tested": 2000, "positive": np.round(2000 * prevalence)})
    model = hiv_joinpoints(data)
    assert model.joinpoints_ == (2006.0,)
    first, second = model.segments_
    assert first.apc == pytest.approx(30, abs=1.5)
    assert abs(second.apc) < 1.5


def test_repeat_tester_incidence_matches_r_poisson_test():
    # R: poisson.test(137, 24.19893) -> rate 5.661407, CI 4.753125 6.692709 (per unit time);
    # per 100 person-years the same numbers times 100.
    rate = repeat_tester_incidence(137, 24.19893)
    assert rate.rate_per_100py == pytest.approx(566.1407, abs=1e-4)
    assert rate.conf_int() == pytest.approx((475.3125, 669.2709), abs=1e-4)


def test_incidence_with_no_seroconversions_has_zero_lower_bound():
    rate = repeat_tester_incidence(0, 250.0)
    assert rate.rate_per_100py == 0 and rate.ci_low == 0
    assert rate.ci_high == pytest.approx(100 * -math.log(0.025) / 250.0)


def _write(tmp_path, frame):
    path = tmp_path / "hiv.csv"
    frame.to_csv(path, index=False)
    return path


def test_cli_keys(run_json, tmp_path):
    years = np.arange(2000, 2012)
    data = pd.DataFrame(
        {"year": years, "tested": 500, "positive": [2, 3, 5, 8, 12, 20, 30, 33, 35, 34, 36, 35]}
    )
    out = run_json("hiv-trend", _write(tmp_path, data))
    assert {"years", "trend", "joinpoints"} <= set(out)
    assert set(out["years"][0]) == {"year", "tested", "positive", "prevalence", "ci_low", "ci_high"}
    assert set(out["trend"]) == {"odds_ratio_per_year", "ci_low", "ci_high", "p_value", "apc"}
    assert len(out["joinpoints"]) >= 2
    assert set(out["joinpoints"][0]) == {"start_year", "end_year", "apc", "ci_low", "ci_high"}


def test_cli_single_year_reports_prevalence_and_explains_missing_trend(run_json, tmp_path):
    out = run_json(
        "hiv-trend",
        _write(tmp_path, pd.DataFrame({"year": [2002], "tested": [120], "positive": [0]})),
    )
    assert out["years"][0]["ci_low"] == 0.0 and out["years"][0]["ci_high"] > 0
    assert out["trend"] is None and out["joinpoints"] == []
    assert any("two years" in note for note in out["notes"])


def test_cli_permutation_selection_with_seed_is_reproducible(run_json, tmp_path):
    years = np.arange(2000, 2012)
    data = pd.DataFrame(
        {"year": years, "tested": 500, "positive": [2, 3, 5, 8, 12, 20, 30, 33, 35, 34, 36, 35]}
    )
    path = _write(tmp_path, data)
    args = ("hiv-trend", path, "--selection", "permutation", "--permutations", "99", "--seed", "1")
    assert run_json(*args) == run_json(*args)


def test_cli_incidence(run_json, tmp_path):
    path = _write(tmp_path, BEETLES.assign(year=range(2001, 2009)))
    out = run_json("hiv-trend", path, "--seroconversions", "137", "--person-years", "24.19893")
    assert out["incidence"]["ci_low"] == pytest.approx(475.3125, abs=1e-4)


def test_two_years_give_a_saturated_but_finite_trend():
    data = pd.DataFrame({"year": [2001, 2002], "tested": [300, 310], "positive": [3, 5]})
    trend = logistic_trend(data)
    # Saturated model: the slope is the log odds ratio of the two years (own calculation).
    assert trend.slope == pytest.approx(math.log((5 / 305) / (3 / 297)), rel=1e-8)
    assert trend.deviance == pytest.approx(0.0, abs=1e-8) and trend.df_resid == 0


def test_cli_reads_semicolon_files_with_a_byte_order_mark(run_json, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffyear;tested;positive\n2001;300;3\n2002;310;5\n".encode())
    out = run_json("hiv-trend", path)
    assert [y["year"] for y in out["years"]] == [2001, 2002]
    assert out["trend"]["odds_ratio_per_year"] > 1


def test_cli_empty_file_is_a_clear_error(run_cli, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    code, _, err = run_cli("hiv-trend", path)
    assert code == 2 and "is empty" in err
