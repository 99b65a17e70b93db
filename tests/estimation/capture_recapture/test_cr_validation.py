"""The coverage study's harness and the diagnostics the default analysis uses."""

from __future__ import annotations

import importlib.util
import json
import math

import pytest

from estimation.capture_recapture import model_average, search_models
from estimation.capture_recapture.diagnostics import (
    auto_average,
    dependent_pairs,
    heavy_saturated_weight,
    heterogeneity_check,
    without_saturated,
)
from estimation.capture_recapture.scenarios import simulate_scenario
from estimation.capture_recapture.validation import (
    ANALYSES,
    Cell,
    available_analyses,
    read_records,
    run_records,
    summarise,
)
from estimation.capture_recapture.validation_report import derive_auto, report_section

CELLS = [Cell("independent", 2000, 3), Cell("heterogeneity", 2000, 4)]
CHEAP = ("average_auto", "average_aic", "average_bic", "best_bic", "Mt", "heterogeneity_check")


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> list[dict]:
    path = tmp_path_factory.mktemp("coverage") / "records.jsonl"
    analyses = {name: ANALYSES[name] for name in CHEAP}
    assert run_records(path, CELLS, range(4), analyses) == 8
    return read_records(path)


def test_a_run_records_every_analysis_of_every_replicate_of_every_cell(records):
    assert len(records) == len(CELLS) * 4 * len(CHEAP)
    keys = {(r["scenario"], r["lists"], r["replicate"], r["analysis"]) for r in records}
    assert len(keys) == len(records)


def test_a_rerun_skips_what_the_file_holds_and_fills_what_it_lacks(tmp_path):
    path = tmp_path / "records.jsonl"
    run_records(path, CELLS[:1], range(2), {"Mt": ANALYSES["Mt"]})
    assert run_records(path, CELLS[:1], range(2), {"Mt": ANALYSES["Mt"]}) == 0
    path.write_text(path.read_text() + '{"torn": ')  # a run stopped mid-line
    assert run_records(path, CELLS[:1], range(3), {"Mt": ANALYSES["Mt"]}) == 1
    assert [r["replicate"] for r in read_records(path)] == [0, 1, 2]


def test_records_are_reproducible_and_match_the_library(records, tmp_path):
    path = tmp_path / "again.jsonl"
    run_records(path, CELLS, range(4), {name: ANALYSES[name] for name in CHEAP})
    again = read_records(path)
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in records]
    assert strip == [{k: v for k, v in r.items() if k != "seconds"} for r in again]
    cell = CELLS[0]
    histories = simulate_scenario(cell.scenario, population=2000, lists=3, seed=cell.seed(2))
    averaged = model_average(search_models(histories), criterion="aic")
    record = next(r for r in records if r["replicate"] == 2 and r["analysis"] == "average_aic")
    assert record["estimate"] == pytest.approx(averaged.abundance, rel=1e-12)
    assert [record["low"], record["high"]] == pytest.approx(list(averaged.conf_int()), rel=1e-12)


def test_the_summary_counts_coverage_bias_width_and_failures():
    truth = 1000
    records = [
        {"scenario": "s", "population": truth, "lists": 3, "analysis": "a", "ok": True,
         "estimate": e, "low": lo, "high": hi}
        for e, lo, hi in ((900, 800, 1100), (1100, 1050, 1300), (1000, 950, 1050))
    ] + [{"scenario": "s", "population": truth, "lists": 3, "analysis": "a", "ok": False,
          "estimate": None, "low": None, "high": None}]  # fmt: skip
    summary = summarise(records)[("s", truth, 3, "a")]
    assert summary["replicates"] == 4 and summary["failures"] == 1
    assert summary["coverage"] == pytest.approx(2 / 4)  # a failure does not cover
    assert summary["bias"] == pytest.approx(0.0)  # median of -10%, +10%, 0%
    assert summary["width"] == pytest.approx(0.25)  # median of 0.3, 0.25, 0.1


def test_the_default_derived_from_its_parts_equals_the_default_run(records):
    run = {(r["scenario"], r["replicate"]): r for r in records if r["analysis"] == "average_auto"}
    parts = [r for r in records if r["analysis"] != "average_auto"]
    derived = derive_auto(parts)
    assert len(derived) == len(run) == 8
    for r in derived:
        assert r["estimate"] == run[(r["scenario"], r["replicate"])]["estimate"]
        assert r["reason"] == run[(r["scenario"], r["replicate"])]["reason"]


def test_the_report_has_a_table_per_scenario_and_the_warning_rates(records):
    text = report_section(records)
    assert "#### Scenario `independent`" in text and "#### Scenario `heterogeneity`" in text
    assert "| *replicates* | 4 | - |" in text or "| *replicates* | 4 | 0 |" in text
    assert "| heterogeneity detected | `heterogeneity` |" in text


def test_the_report_counts_a_heterogeneity_model_outside_the_default_interval():
    def record(replicate, analysis, estimate, low, high, detected=None):
        return {"scenario": "heterogeneity", "population": 2000, "lists": 4, "ok": True,
                "replicate": replicate, "analysis": analysis, "estimate": estimate,
                "low": low, "high": high, "detected": detected}  # fmt: skip

    records = [  # data set 0: inside, not detected; 1: outside; 2: inside but detected
        record(0, "average_aic", 1900, 1700, 2100),
        record(0, "heterogeneity_check", 2000, 1800, 2300, False),
        record(1, "average_aic", 9000, 4000, 30000),
        record(1, "heterogeneity_check", 1800, 1600, 2000, False),
        record(2, "average_aic", 1500, 1400, 1700),
        record(2, "heterogeneity_check", 1650, 1500, 2000, True),
    ]
    lines = report_section(records).splitlines()
    rate = {line.split(" | ")[0][2:]: line.split(" | ")[2].strip(" |") for line in lines
            if line.startswith("| heter") and "`heterogeneity`" in line}  # fmt: skip
    assert rate == {
        "heterogeneity detected": "33%",
        "heterogeneity model outside the AIC average's interval": "33%",
        "heterogeneity warning of a study (either)": "67%",
    }


def test_a_posterior_warned_to_be_no_estimate_is_counted_in_the_report(tmp_path):
    # replicate 0 of this cell puts all of dga's weight on the complete graph (see
    # test_bayesian_analyses); its interval still counts, and the entry says so
    path = tmp_path / "records.jsonl"
    cell = Cell("heterogeneity", population=20_000, lists=3)
    run_records(path, [cell], range(1), {"dga": available_analyses()["dga"]})
    (record,) = read_records(path)
    assert "saturated_graph" in record["warnings"]
    summary = summarise([record])[("heterogeneity", 20_000, 3, "dga")]
    assert summary["no_estimate"] == 1 and summary["failures"] == 0
    assert "1 warned no estimate" in report_section([record])


def test_the_bayesian_analyses_are_offered_exactly_when_their_modules_import():
    offered = available_analyses()
    for name in ("dga", "lcmcr"):
        module = f"estimation.capture_recapture.{name}"
        assert (name in offered) == (importlib.util.find_spec(module) is not None)
    assert set(ANALYSES) <= set(offered)


def test_the_heterogeneity_check_fires_on_heterogeneous_lists_not_on_independent_ones():
    fired = {"independent": 0, "heterogeneity": 0}
    for scenario in fired:
        for seed in range(10):
            h = simulate_scenario(scenario, population=20000, lists=4, seed=[seed, 99])
            check = heterogeneity_check(h, search_models(h).results)
            fired[scenario] += check.detected
            assert math.isclose(check.aic_gain, check.best_aic - check.model.aic)
    assert fired["heterogeneity"] >= 8 and fired["independent"] <= 1


def test_two_lists_have_no_heterogeneity_check():
    h = simulate_scenario("independent", population=2000, lists=2, seed=1)
    assert heterogeneity_check(h, search_models(h).results) is None


def test_saturated_weight_is_the_weight_on_models_of_at_most_one_df():
    h = simulate_scenario("positive", population=2000, lists=3, seed=4)
    table = search_models(h, criterion="aic")
    averaged = model_average(table, criterion="aic")
    by_df = {r.name: r.df for r in table.results}
    expected = sum(w for name, w in averaged.weights.items() if by_df[name] <= 1)
    assert heavy_saturated_weight(table, averaged) == pytest.approx(expected)
    assert 0 < expected < 1
    assert all(r.df >= 2 for r in without_saturated(table).results)


def test_dependent_pairs_count_the_pairs_a_model_links():
    h = simulate_scenario("independent", population=2000, lists=4, seed=1)
    table = search_models(h)
    pairs = {r.name: dependent_pairs(r) for r in table.results}
    assert pairs["[1,2,3,4]"] == 0 and pairs["[12,3,4]"] == 1
    assert pairs["[12,23,4]"] == 2 and pairs["[123,4]"] == 3


def test_the_default_takes_the_bic_average_unless_the_models_show_strain():
    reasons = set()
    for scenario in ("independent", "heterogeneity"):
        for seed in range(4):
            h = simulate_scenario(scenario, population=2000, lists=4, seed=[seed, 7])
            table = search_models(h)
            chosen, reason, by_aic, by_bic = auto_average(h, table)
            assert chosen is (by_bic if reason is None else by_aic)
            assert by_bic.abundance == model_average(table, criterion="bic").abundance
            reasons.add((scenario, reason))
    assert ("independent", None) in reasons
    assert {r for s, r in reasons if s == "heterogeneity"} - {None}


def test_records_are_one_json_object_a_line(records, tmp_path):
    path = tmp_path / "one.jsonl"
    run_records(path, CELLS[:1], range(1), {"Mt": ANALYSES["Mt"]})
    assert all(json.loads(line)["analysis"] == "Mt" for line in path.read_text().splitlines())
