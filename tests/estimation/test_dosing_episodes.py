"""Treatment episodes from dosing records (interruption rule) and from dates.

Expected values are own calculations from the rule in the docstring (Kyrgyz 2015 OST
protocol: more than 2 days without a dose ends an episode).
"""

import pandas as pd
import pytest

from estimation.episodes import durations_from_dates, episodes_from_doses


def _doses(*dates, client=1):
    return pd.DataFrame({"client_id": client, "date": list(dates)})


def test_a_gap_of_two_days_keeps_the_episode_and_three_ends_it():
    # 1st and 4th: two days without a dose (2nd, 3rd) -> same episode.
    same = episodes_from_doses(_doses("2024-01-01", "2024-01-04"), analysis_date="2024-01-05")
    assert len(same) == 1 and same["event"].tolist() == [0]
    # 1st and 5th: three days without a dose -> two episodes, the first ended.
    split = episodes_from_doses(_doses("2024-01-01", "2024-01-05"), analysis_date="2024-01-06")
    assert split["episode"].tolist() == [1, 2]
    assert split["event"].tolist() == [1, 0]
    assert split["duration"].tolist() == [1, 2]


def test_max_gap_is_a_parameter():
    doses = _doses("2024-01-01", "2024-01-05")
    assert len(episodes_from_doses(doses, analysis_date="2024-01-06", max_gap_days=3)) == 1


def test_open_episode_is_censored_at_the_analysis_date():
    doses = _doses(*pd.date_range("2024-01-01", "2024-03-31").strftime("%Y-%m-%d"))
    (row,) = episodes_from_doses(doses, analysis_date="2024-04-02").itertuples()
    assert (row.duration, row.event) == (93, 0)  # 1 Jan to 2 Apr 2024 inclusive
    (row,) = episodes_from_doses(doses, analysis_date="2024-04-10").itertuples()
    assert (row.duration, row.event) == (91, 1)  # stopped on 31 Mar: dropped out


def test_doses_after_the_analysis_date_are_ignored():
    doses = _doses("2024-01-01", "2024-01-02", "2024-02-01")
    out = episodes_from_doses(doses, analysis_date="2024-01-02")
    assert out["duration"].tolist() == [2]


def test_bad_dosing_data_are_clear_errors():
    with pytest.raises(ValueError, match="no column"):
        episodes_from_doses(pd.DataFrame({"date": []}), analysis_date="2024-01-01")
    with pytest.raises(ValueError, match="unreadable"):
        episodes_from_doses(_doses("not a date"), analysis_date="2024-01-01")
    with pytest.raises(ValueError, match="no doses"):
        episodes_from_doses(_doses("2025-01-01"), analysis_date="2024-01-01")


def test_durations_from_dates_censor_at_the_analysis_date():
    frame = pd.DataFrame(
        {
            "start": ["2024-01-01", "2024-01-01", "2024-01-01"],
            "exit": ["2024-01-31", None, "2024-12-31"],
        }
    )
    out = durations_from_dates(frame, analysis_date="2024-03-01")
    assert out["duration"].tolist() == [30, 60, 60]
    assert out["event"].tolist() == [1, 0, 0]


def test_cli_retention_from_doses_with_groups(run_json, tmp_path):
    rows = []
    for client, dose, last in [
        (1, "high", "2024-03-31"),
        (2, "high", "2024-01-20"),
        (3, "low", "2024-01-10"),
        (4, "low", "2024-02-15"),
    ]:
        for day in pd.date_range("2024-01-01", last):
            rows.append({"client_id": client, "date": day.date().isoformat(), "dose": dose})
    path = tmp_path / "doses.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    out = run_json(
        "retention",
        path,
        "--doses",
        "--analysis-date",
        "2024-04-01",
        "--group-col",
        "dose",
        "--at",
        "30",
    )
    high, low = out["groups"]
    assert (high["group"], high["n"], high["events"]) == ("high", 2, 1)
    assert (low["n"], low["events"]) == (2, 2)
    assert low["at"][0]["survival"] == pytest.approx(0.5)


def test_cli_doses_need_an_analysis_date(run_cli, tmp_path):
    path = tmp_path / "doses.csv"
    path.write_text("client_id,date\n1,2024-01-01\n")
    code, _, err = run_cli("retention", path, "--doses")
    assert code == 2 and "--analysis-date" in err


def test_median_dose_per_episode_with_split_doses_summed():
    doses = pd.DataFrame(
        {
            "client_id": 1,
            "date": ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-03"],
            "mg": [30, 30, 70, 80],
        }
    )
    (row,) = episodes_from_doses(doses, analysis_date="2024-01-03", dose_col="mg").itertuples()
    assert row.median_dose == 70  # daily totals 60, 70, 80


def test_cli_compares_dose_bands(run_json, tmp_path):
    rows = []
    for client, mg, last in [
        (1, 80, "2024-03-31"),
        (2, 90, "2024-02-20"),
        (3, 40, "2024-01-10"),
        (4, 30, "2024-03-10"),
    ]:
        for day in pd.date_range("2024-01-01", last):
            rows.append({"client_id": client, "date": day.date().isoformat(), "mg": mg})
    path = tmp_path / "doses.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    out = run_json(
        "retention",
        path,
        "--doses",
        "--analysis-date",
        "2024-04-01",
        "--dose-col",
        "mg",
        "--at",
        "30",
    )
    assert [g["group"] for g in out["groups"]] == ["<60 mg", ">=60 mg"]
    assert [g["n"] for g in out["groups"]] == [2, 2]
    assert out["logrank_p"] is not None
    assert out["hazard_ratios"][0]["term"] == ">=60 mg"


def test_cli_separated_dose_bands_report_a_note_instead_of_hazard_ratios(run_json, tmp_path):
    rows = []
    # Both low-dose clients leave before anyone on a high dose does: the Cox MLE is infinite.
    for client, mg, last in [
        (1, 80, "2024-03-31"),
        (2, 90, "2024-02-20"),
        (3, 40, "2024-01-10"),
        (4, 30, "2024-01-25"),
    ]:
        for day in pd.date_range("2024-01-01", last):
            rows.append({"client_id": client, "date": day.date().isoformat(), "mg": mg})
    path = tmp_path / "doses.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    out = run_json(
        "retention", path, "--doses", "--analysis-date", "2024-04-01", "--dose-col", "mg"
    )
    assert out["hazard_ratios"] == []
    assert any("could not be fitted" in note for note in out["notes"])
