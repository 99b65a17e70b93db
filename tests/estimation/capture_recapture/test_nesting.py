"""Nested lists (one list inside another): the detector and the command line's warning."""

import json

import pytest

from estimation.capture_recapture import CaptureHistories
from estimation.capture_recapture.nesting import NESTED_SHARE, nested_lists
from estimation.cli import main

#: OST clients (A) are all treatment clients (B); police (C) is independent of both.
NESTED = {"110": 40, "010": 300, "011": 20, "001": 90, "111": 5}


def test_a_list_wholly_inside_another_is_found_by_name_and_share():
    h = CaptureHistories.from_frequencies(["ost", "treatment", "police"], NESTED)
    (pair,) = nested_lists(h)
    assert (pair.list, pair.within) == ("ost", "treatment")
    assert (pair.size, pair.shared, pair.outside) == (45, 45, 0)
    assert pair.exact and pair.share == 1.0 and not pair.mutual


def test_nearly_nested_at_the_threshold_but_not_below():
    # A has 100 people, 95 of them also on B: exactly the threshold share
    at = CaptureHistories.from_frequencies(["a", "b", "c"], {"110": 95, "100": 5, "010": 200,
                                                              "001": 50, "011": 30})  # fmt: skip
    (pair,) = nested_lists(at)
    assert pair.share == pytest.approx(NESTED_SHARE) and pair.outside == 5 and not pair.exact
    below = CaptureHistories.from_frequencies(["a", "b", "c"], {"110": 94, "100": 6, "010": 200,
                                                                 "001": 50, "011": 30})  # fmt: skip
    assert nested_lists(below) == ()


def test_the_same_source_twice_is_one_mutual_pair():
    h = CaptureHistories.from_frequencies(["police", "police-2", "ngo"],
                                          {"110": 200, "111": 10, "001": 80, "100": 1})  # fmt: skip
    (pair,) = nested_lists(h)
    assert pair.mutual and (pair.list, pair.within) == ("police", "police-2")


def test_independent_lists_are_not_nested():
    madigan_york = {"100": 60, "010": 49, "110": 4, "001": 247, "101": 112, "011": 142, "111": 12}
    h = CaptureHistories.from_frequencies(["a", "b", "c"], madigan_york)
    assert nested_lists(h) == ()


def test_cli_json_and_text_name_the_nested_pair(tmp_path, capsys):
    path = tmp_path / "nested.csv"
    rows = ["ost,treatment,police,freq"] + [f"{','.join(k)},{v}" for k, v in NESTED.items()]
    path.write_text("\n".join(rows) + "\n")
    for argv in (["--json"], ["--bayes", "dga", "--json"]):
        assert main(["capture-recapture", str(path), *argv]) == 0
        out = json.loads(capsys.readouterr().out)
        (pair,) = out["nested_lists"]
        assert pair["list"] == "ost" and pair["within"] == "treatment" and pair["exact"]
        assert "nested in 'treatment'" in pair["message"]
    assert main(["capture-recapture", str(path)]) == 0
    assert "WARNING: list 'ost' is nested in 'treatment'" in capsys.readouterr().out


def test_cli_stratified_json_reports_the_pooled_lists(tmp_path, capsys):
    path = tmp_path / "strata.csv"
    rows = ["ost,treatment,police,sex,freq"]
    for sex in ("F", "M"):
        rows += [f"{','.join(k)},{sex},{v}" for k, v in NESTED.items()]
    path.write_text("\n".join(rows) + "\n")
    assert main(["capture-recapture", str(path), "--by", "sex", "--json"]) == 0
    (pair,) = json.loads(capsys.readouterr().out)["nested_lists"]
    assert (pair["list"], pair["size"], pair["exact"]) == ("ost", 90, True)
