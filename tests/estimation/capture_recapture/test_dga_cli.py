"""``capture-recapture FILE --bayes dga``: the dga posterior from the command line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from estimation.capture_recapture import CaptureHistories
from estimation.capture_recapture.datasets import scotland_pwid
from estimation.cli import main

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def pwid_csv(tmp_path):
    path = tmp_path / "pwid.csv"
    scotland_pwid().to_frame().to_csv(path, index=False)
    return str(path)


def test_json_row_is_the_posterior(capsys, pwid_csv):
    assert main(["capture-recapture", pwid_csv, "--bayes", "dga", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["observed"] == 5670 and payload["lists"] == ["S1", "S2", "S3", "S4"]
    assert payload["method"] == "dga"
    (row,) = payload["models"]
    assert row["name"] == "dga"
    assert row["abundance"] == row["median"]
    assert row["ci_low"] < row["mode"] < row["ci_high"]
    assert 26_000 < row["ci_low"] < row["abundance"] < row["ci_high"] < 41_000
    assert row["delta"] == 1 / 16 and row["warnings"] == [] and row["fit_ok"] is True
    assert row["graphs"][0]["graph"] == "[13,23,24]"
    assert 0.6 < row["graphs"][0]["weight"] < 0.7
    assert {"mean", "stderr", "relative_loss_estimate", "grid", "graph_count"} <= set(row)


def test_delta_and_alpha_reach_the_method(capsys, pwid_csv):
    argv = ["capture-recapture", pwid_csv, "--bayes", "dga", "--json"]
    assert main([*argv, "--delta", "0.5", "--alpha", "0.2"]) == 0
    row = json.loads(capsys.readouterr().out)["models"][0]
    assert row["delta"] == 0.5 and row["alpha"] == 0.2
    assert row["graphs"][0]["graph"] == "[13,23,24]"
    assert row["graphs"][1]["graph"] == "[1234]"  # a larger delta favours the saturated model


def test_text_output(capsys, pwid_csv):
    assert main(["capture-recapture", pwid_csv, "--bayes", "dga"]) == 0
    out = capsys.readouterr().out
    assert "dga on 4 lists (S1, S2, S3, S4), observed n = 5670" in out
    assert "95% credible interval" in out


@pytest.mark.parametrize(
    ("extra", "frequencies", "message"),
    [
        (["--delta", "-1"], None, "delta (the hyper-Dirichlet prior count) must be positive"),
        (["--delta", "0"], None, "must be positive"),
        ([], {"11": 5, "10": 20, "01": 30}, "dga needs at least 3 lists, got 2"),
    ],
)
def test_bad_input_is_a_clear_error(capsys, tmp_path, pwid_csv, extra, frequencies, message):
    path = pwid_csv
    if frequencies is not None:
        path = str(tmp_path / "two.csv")
        CaptureHistories.from_frequencies(["a", "b"], frequencies).to_frame().to_csv(
            path, index=False
        )
    assert main(["capture-recapture", path, "--bayes", "dga", "--json", *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err
    assert "Traceback" not in captured.err


def test_module_entry_point(pwid_csv):
    run = subprocess.run(
        [sys.executable, "-m", "estimation", "capture-recapture", pwid_csv, "--bayes", "dga",
         "--json"],
        capture_output=True, text=True, cwd=ROOT, check=True, timeout=300,
    )  # fmt: skip
    assert json.loads(run.stdout)["models"][0]["name"] == "dga"
