"""Retention (Kaplan-Meier, log-rank, Cox) against R survival on Miller's aml data.

Reference: R package survival, tests/doaml.Rout.save (github.com/cran/survival, R 2.7.1):

    > fit <- survfit(Surv(aml$time, aml$status) ~ aml$x)
    > summary(fit)
                    aml$x=Maintained
     time n.risk n.event survival std.err lower 95% CI upper 95% CI
        9     11       1    0.909  0.0867       0.7541        1.000
       13     10       1    0.818  0.1163       0.6192        1.000
       18      8       1    0.716  0.1397       0.4884        1.000
       23      7       1    0.614  0.1526       0.3769        0.999
       31      5       1    0.491  0.1642       0.2549        0.946
       34      4       1    0.368  0.1627       0.1549        0.875
       48      2       1    0.184  0.1535       0.0359        0.944
                    aml$x=Nonmaintained
        5     12       2   0.8333  0.1076       0.6470        1.000
        8     10       2   0.6667  0.1361       0.4468        0.995
       12      8       1   0.5833  0.1423       0.3616        0.941
       23      6       1   0.4861  0.1481       0.2675        0.883
       27      5       1   0.3889  0.1470       0.1854        0.816
       30      4       1   0.2917  0.1387       0.1148        0.741
       33      3       1   0.1944  0.1219       0.0569        0.664
       43      2       1   0.0972  0.0919       0.0153        0.620
       45      1       1   0.0000     NaN           NA           NA
    records n.max n.start events median 0.95LCL 0.95UCL
    Maintained 11 ... 7  31  18  NA;   Nonmaintained 12 ... 11  23  8  NA
    > survdiff(Surv(aml$time, aml$status) ~ aml$x)
     Chisq= 3.4  on 1 degrees of freedom, p= 0.0653
    > coxph(Surv(time, status) ~ x, aml, method = 'efron')
                    coef exp(coef) se(coef)    z     p
    xNonmaintained 0.916       2.5    0.512 1.79 0.074

Kaplan-Meier points: R computes the product of (1 - n.event/n.risk) over its printed table,
so those exact products are checked to 1e-6 (here 1e-12); the printed columns are checked
to their printed precision (5e-4). R's NaN/NA at S = 0 is reported here as 0 and [0, 0].
"""

import math

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from estimation.cox import cox_hazard_ratios
from estimation.datasets import load_aml
from estimation.retention import kaplan_meier, logrank_test

AML = load_aml()
R_TABLES = {
    "Maintained": dict(
        time=[9, 13, 18, 23, 31, 34, 48],
        n_risk=[11, 10, 8, 7, 5, 4, 2],
        n_event=[1, 1, 1, 1, 1, 1, 1],
        survival=[0.909, 0.818, 0.716, 0.614, 0.491, 0.368, 0.184],
        std_err=[0.0867, 0.1163, 0.1397, 0.1526, 0.1642, 0.1627, 0.1535],
        lower=[0.7541, 0.6192, 0.4884, 0.3769, 0.2549, 0.1549, 0.0359],
        upper=[1.000, 1.000, 1.000, 0.999, 0.946, 0.875, 0.944],
        median=(31, 18, None),
    ),
    "Nonmaintained": dict(
        time=[5, 8, 12, 23, 27, 30, 33, 43, 45],
        n_risk=[12, 10, 8, 6, 5, 4, 3, 2, 1],
        n_event=[2, 2, 1, 1, 1, 1, 1, 1, 1],
        survival=[0.8333, 0.6667, 0.5833, 0.4861, 0.3889, 0.2917, 0.1944, 0.0972, 0.0],
        std_err=[0.1076, 0.1361, 0.1423, 0.1481, 0.1470, 0.1387, 0.1219, 0.0919, 0.0],
        lower=[0.6470, 0.4468, 0.3616, 0.2675, 0.1854, 0.1148, 0.0569, 0.0153, 0.0],
        upper=[1.000, 0.995, 0.941, 0.883, 0.816, 0.741, 0.664, 0.620, 0.0],
        median=(23, 8, None),
    ),
}


@pytest.mark.parametrize("group", list(R_TABLES))
def test_kaplan_meier_matches_r_survfit(group):
    ref = R_TABLES[group]
    part = AML[AML["x"] == group]
    curve = kaplan_meier(part["time"], part["status"])
    assert list(curve.times) == ref["time"]
    assert list(curve.n_risk) == ref["n_risk"]
    assert list(curve.n_event) == ref["n_event"]
    exact = np.cumprod(1 - np.array(ref["n_event"]) / np.array(ref["n_risk"]))
    np.testing.assert_allclose(curve.survival, exact, atol=1e-12)
    np.testing.assert_allclose(curve.survival, ref["survival"], atol=5e-4)
    np.testing.assert_allclose(curve.std_err, ref["std_err"], atol=5e-5)
    np.testing.assert_allclose(curve.ci_low, ref["lower"], atol=5e-5)
    np.testing.assert_allclose(curve.ci_high, ref["upper"], atol=5e-4)
    assert (curve.median, *curve.median_ci) == ref["median"]


def test_kaplan_meier_agrees_with_lifelines_including_log_log_intervals():
    curve = kaplan_meier(AML["time"], AML["status"], conf_type="log-log")
    fitter = KaplanMeierFitter().fit(AML["time"], AML["status"])
    at_events = fitter.survival_function_.loc[list(curve.times)].iloc[:, 0].to_numpy()
    np.testing.assert_allclose(curve.survival, at_events, atol=1e-12)
    bands = fitter.confidence_interval_survival_function_.loc[list(curve.times)].to_numpy()
    alive = np.array(curve.survival) > 0
    np.testing.assert_allclose(np.array(curve.ci_low)[alive], bands[alive, 0], atol=1e-8)
    np.testing.assert_allclose(np.array(curve.ci_high)[alive], bands[alive, 1], atol=1e-8)


def test_retention_at_fixed_times_is_the_step_value():
    part = AML[AML["x"] == "Maintained"]
    curve = kaplan_meier(part["time"], part["status"])
    assert curve.at(8).survival == 1.0
    assert curve.at(30).survival == pytest.approx(0.6136364, abs=1e-6)  # 27/44 exactly
    assert curve.at(200).survival is None  # beyond the last (censored) follow-up at 161


def test_logrank_matches_r_survdiff():
    chi2, p_value, df = logrank_test(AML["time"], AML["status"], AML["x"])
    assert df == 1
    assert chi2 == pytest.approx(3.40, abs=5e-3)
    assert p_value == pytest.approx(0.0653, abs=5e-5)


def test_cox_matches_r_coxph_efron():
    frame = pd.DataFrame(
        {
            "time": AML["time"],
            "status": AML["status"],
            "Nonmaintained": (AML["x"] == "Nonmaintained").astype(int),
        }
    )
    (ratio,) = cox_hazard_ratios(frame, duration_col="time", event_col="status")
    assert ratio.coef == pytest.approx(0.916, abs=5e-4)
    assert ratio.hazard_ratio == pytest.approx(2.5, abs=5e-2)
    assert ratio.se == pytest.approx(0.512, abs=5e-4)
    assert ratio.p_value == pytest.approx(0.074, abs=5e-4)
    assert ratio.ci_low == pytest.approx(math.exp(ratio.coef - 1.959964 * ratio.se), rel=1e-6)


def test_everyone_censored_gives_documented_flat_curve():
    curve = kaplan_meier([30, 60, 90], [0, 0, 0])
    assert curve.events == 0 and curve.times == ()
    assert curve.median is None
    point = curve.at(45)
    assert (point.survival, point.ci_low, point.ci_high) == (1.0, 1.0, 1.0)
    assert curve.at(365).survival is None


def test_empty_group_and_bad_events_are_clear_errors():
    with pytest.raises(ValueError, match="empty"):
        kaplan_meier([], [])
    with pytest.raises(ValueError, match="0 \\(censored\\) or 1"):
        kaplan_meier([1, 2], [0, 2])
    with pytest.raises(ValueError, match="two non-empty groups"):
        logrank_test([1, 2], [1, 1], ["a", "a"])
    with pytest.raises(ValueError, match="every subject is censored"):
        cox_hazard_ratios(
            pd.DataFrame({"t": [1, 2], "e": [0, 0], "g": [0, 1]}), duration_col="t", event_col="e"
        )


def test_plot_draws_on_given_axes():
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    assert kaplan_meier(AML["time"], AML["status"]).plot(ax=ax) is ax
    assert ax.get_ylabel() == "retention"


def test_cli_groups_logrank_and_hazard_ratios(run_json, tmp_path):
    path = tmp_path / "aml.csv"
    AML.to_csv(path, index=False)
    out = run_json(
        "retention",
        path,
        "--duration-col",
        "time",
        "--event-col",
        "status",
        "--group-col",
        "x",
        "--at",
        "12,30",
    )
    assert set(out) == {"groups", "logrank_p", "hazard_ratios"}
    maintained, other = out["groups"]
    assert set(maintained) == {"group", "n", "events", "median", "at"}
    assert (maintained["group"], maintained["n"], maintained["events"], maintained["median"]) == (
        "Maintained",
        11,
        7,
        31,
    )
    assert other["at"][0] == pytest.approx(
        {"time": 12, "survival": 0.5833, "ci_low": 0.3616, "ci_high": 0.941}, abs=5e-4
    )
    assert out["logrank_p"] == pytest.approx(0.0653, abs=5e-5)
    assert out["hazard_ratios"][0]["term"] == "Nonmaintained"
    assert out["hazard_ratios"][0]["hazard_ratio"] == pytest.approx(2.5, abs=5e-2)


def test_cli_all_censored_reports_no_comparison(run_json, tmp_path):
    path = tmp_path / "censored.csv"
    path.write_text("days,left,dose\n30,0,high\n60,0,low\n90,0,high\n")
    out = run_json(
        "retention",
        path,
        "--duration-col",
        "days",
        "--event-col",
        "left",
        "--group-col",
        "dose",
        "--at",
        "45",
    )
    assert [g["median"] for g in out["groups"]] == [None, None]
    assert out["logrank_p"] is None and out["hazard_ratios"] == []
    assert "censored" in out["notes"][0]


def test_cli_empty_file_exits_2(run_cli, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("days,left\n")
    code, _, err = run_cli("retention", path, "--duration-col", "days", "--event-col", "left")
    assert code == 2 and "empty" in err


def test_cli_numeric_group_labels_keep_the_reference_group_first(run_json, tmp_path):
    frame = AML.assign(dose=np.where(AML["x"] == "Maintained", 60, 5))
    path = tmp_path / "dose.csv"
    frame[["time", "status", "dose"]].to_csv(path, index=False)
    out = run_json(
        "retention", path, "--duration-col", "time", "--event-col", "status", "--group-col", "dose"
    )
    assert [g["group"] for g in out["groups"]] == ["5", "60"]
    (ratio,) = out["hazard_ratios"]
    assert ratio["term"] == "60"
    assert ratio["hazard_ratio"] == pytest.approx(1 / 2.498, rel=2e-3)  # reciprocal of R's 2.5


def test_cli_adjusts_the_cox_model_for_covariates(run_json, tmp_path):
    frame = AML.assign(age=[30 + (7 * i) % 25 for i in range(len(AML))])
    path = tmp_path / "aml_age.csv"
    frame.to_csv(path, index=False)
    out = run_json(
        "retention",
        path,
        "--duration-col",
        "time",
        "--event-col",
        "status",
        "--group-col",
        "x",
        "--covariates",
        "age",
    )
    direct = cox_hazard_ratios(
        pd.DataFrame(
            {
                "time": frame["time"],
                "status": frame["status"],
                "Nonmaintained": (frame["x"] == "Nonmaintained").astype(int),
                "age": frame["age"],
            }
        ),
        duration_col="time",
        event_col="status",
    )
    assert [r["term"] for r in out["hazard_ratios"]] == ["Nonmaintained", "age"]
    assert [r["hazard_ratio"] for r in out["hazard_ratios"]] == pytest.approx(
        [r.hazard_ratio for r in direct], rel=1e-9
    )


def test_cox_separation_is_a_clear_error():
    # Everyone in group 1 leaves before anyone in group 0 is followed: the MLE is infinite.
    frame = pd.DataFrame(
        {"t": range(1, 9), "e": [1, 1, 1, 1, 0, 0, 0, 0], "g": [1, 1, 1, 1, 0, 0, 0, 0]}
    )
    with pytest.raises(ValueError, match="could not be fitted"):
        cox_hazard_ratios(frame, duration_col="t", event_col="e")
