"""The analysts' table of DOMAIN §1, reproduced by the CLI with its consistency check.

Published figures (DOMAIN §1, early 2003): registered users, population, rapid-assessment
estimate ranges and estimates per 100,000 — Tajikistan's upper figure (991) is published
although 55,000 / 6,131,000 gives 897.
"""

import pandas as pd
import pytest

from estimation.consistency import regional_table
from estimation.datasets import load_central_asia_2003

PUBLISHED = {
    "Kazakhstan": (49736, 14869021, 165000, 186000, 1110, 1251),
    "Kyrgyzstan": (5600, 4867481, 80000, 100000, 1644, 2054),
    "Tajikistan": (8813, 6131000, 45000, 55000, 734, 991),
    "Uzbekistan": (21360, 24813109, 65000, 91000, 262, 367),
}


def test_dataset_is_the_published_table():
    frame = load_central_asia_2003().set_index("country")
    for country, values in PUBLISHED.items():
        assert tuple(frame.loc[country]) == values


def test_cli_reproduces_the_table_and_catches_tajikistan(run_json):
    out = run_json("regional-table")
    rows = {row["country"]: row for row in out["rows"]}
    for country, (registered, population, low, high, rate_low, rate_high) in PUBLISHED.items():
        assert rows[country]["registered_rate"] == pytest.approx(1e5 * registered / population)
        row = rows[country]
        assert row["per_registered_low"] == pytest.approx(low / registered)
        assert row["per_registered_high"] == pytest.approx(high / registered)
        assert round(row["rate_low"]) == rate_low
        if country != "Tajikistan":
            assert round(row["rate_high"]) == rate_high
    assert round(rows["Tajikistan"]["rate_high"]) == 897
    assert out["consistent"] is False
    (issue,) = out["issues"]
    assert (issue["country"], issue["field"], issue["published"]) == (
        "Tajikistan",
        "published_rate_high",
        991,
    )
    assert issue["recomputed"] == pytest.approx(897.08, abs=0.01)
    assert out["totals"]["registered"] == 85509
    assert (out["totals"]["estimate_low"], out["totals"]["estimate_high"]) == (355000, 432000)


def test_text_output_and_strict_exit_code(run_cli):
    code, out, _ = run_cli("regional-table")
    assert code == 0
    assert "Kyrgyzstan" in out and "INCONSISTENT: Tajikistan" in out
    code, _, _ = run_cli("regional-table", "--strict")
    assert code == 1


def test_a_corrected_table_is_consistent(run_json, tmp_path):
    frame = load_central_asia_2003()
    frame.loc[frame["country"] == "Tajikistan", "published_rate_high"] = 897
    path = tmp_path / "corrected.csv"
    frame.to_csv(path, index=False)
    out = run_json("regional-table", path, "--strict")
    assert out["consistent"] is True and out["issues"] == []


def test_experts_claim_is_checked_against_the_registered_total(run_json):
    # DOMAIN §1: "10-15 times the registered one (about 350,000)": 350,000 / 85,509 = 4.1.
    out = run_json("regional-table", "--claimed-ratio", "10:15", "--claimed-total", "350000")
    claim = [i for i in out["issues"] if i["field"] == "claimed_total"]
    assert claim and claim[0]["recomputed"] == pytest.approx(350000 / 85509)


def test_missing_columns_and_reversed_ranges():
    with pytest.raises(ValueError, match="missing columns"):
        regional_table(pd.DataFrame({"country": ["X"]}))
    frame = pd.DataFrame(
        {
            "country": ["X"],
            "registered": [10],
            "population": [1000],
            "estimate_low": [50],
            "estimate_high": [40],
        }
    )
    assert "reversed" in regional_table(frame).issues[0].message


def test_hiv_shares_contradict_the_claimed_injecting_shares(run_json):
    # DOMAIN §1: "about 70% ... (about 82% in Kazakhstan and Kyrgyzstan)" next to the 2002
    # counts 3,257 / 711 (Kazakhstan) and 362 / 297 (Kyrgyzstan); Uzbekistan as published.
    out = run_json("regional-table", "--hiv", "--claimed-hiv-share", "0.70")
    rows = {row["country"]: row for row in out["hiv"]["rows"]}
    assert rows["Kazakhstan"]["share"] == pytest.approx(711 / 3257)
    assert rows["Kyrgyzstan"]["share"] == pytest.approx(297 / 362)  # 82%: consistent
    assert out["hiv"]["overall"]["share"] == pytest.approx(2192 / 21298)
    flagged = {issue["country"] for issue in out["hiv"]["issues"]}
    assert flagged == {"Kazakhstan", "overall"}


def test_hiv_check_counts_for_strict_mode(run_cli, tmp_path):
    path = tmp_path / "hiv.csv"
    path.write_text("country,hiv_registered,among_pwid,claimed_share\nA,100,80,0.8\n")
    corrected = tmp_path / "table.csv"
    frame = load_central_asia_2003()
    frame.loc[frame["country"] == "Tajikistan", "published_rate_high"] = 897
    frame.to_csv(corrected, index=False)
    code, _, _ = run_cli("regional-table", corrected, "--hiv", path, "--strict")
    assert code == 0
    path.write_text("country,hiv_registered,among_pwid\nA,100,120\n")
    code, out, _ = run_cli("regional-table", corrected, "--hiv", path, "--strict")
    assert code == 1 and "exceeds its total" in out
