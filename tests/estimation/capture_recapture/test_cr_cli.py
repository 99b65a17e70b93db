"""The ``capture-recapture`` and ``petersen`` subcommands, through the dispatcher."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estimation.capture_recapture import CaptureHistories, rome_hiv
from estimation.cli import main

ROOT = Path(__file__).resolve().parents[3]
MODEL_KEYS = {"name", "abundance", "stderr", "ci_low", "ci_high", "deviance", "df", "aic", "bic",
              "fit_ok", "status", "message", "info_fit", "warnings"}  # fmt: skip


@pytest.fixture
def hiv_csv(tmp_path):
    path = tmp_path / "hiv.csv"
    rome_hiv().to_frame().to_csv(path, index=False)
    return str(path)


def run_json(capsys, *argv):
    assert main(list(argv) + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_closedp_table_json(capsys, hiv_csv):
    payload = run_json(capsys, "capture-recapture", hiv_csv)
    assert payload["observed"] == 1896
    assert payload["lists"] == ["c1", "c2", "c3", "c4"]
    models = {m["name"]: m for m in payload["models"]}
    assert len(models) == 12
    assert set(payload["models"][0]) == MODEL_KEYS
    assert round(models["Mt"]["abundance"], 1) == 11124.6
    assert round(models["Mt"]["bic"], 3) == 117.8
    assert models["Mh Chao (LB)"]["fit_ok"] is False
    assert "eta4" in models["Mh Chao (LB)"]["message"]


def test_model_with_profile_interval(capsys, hiv_csv):
    payload = run_json(
        capsys, "capture-recapture", hiv_csv, "--model", "[12,3,4]", "--ci", "profile"
    )
    (model,) = payload["models"]
    assert round(model["abundance"], 1) == 12318.5
    assert round(model["ci_low"], 1) == 10266.0
    assert round(model["ci_high"], 1) == 14992.3


def test_search_is_ranked(capsys, hiv_csv):
    payload = run_json(capsys, "capture-recapture", hiv_csv, "--search", "bic")
    names = [m["name"] for m in payload["models"]]
    assert names[:3] == ["[1,2,3,4]", "[12,3,4]", "[13,2,4]"]
    assert len(names) == 113
    assert payload["model_average"]["criterion"] == "bic"


def test_search_with_bootstrap_is_seeded(capsys, hiv_csv):
    argv = ["capture-recapture", hiv_csv, "--search", "aic", "--max-order", "2", "--ci",
            "bootstrap", "--replicates", "40", "--seed", "5", "--top", "2"]  # fmt: skip
    first = run_json(capsys, *argv)
    second = run_json(capsys, *argv)
    assert first["models"][0]["ci_low"] == second["models"][0]["ci_low"]
    assert first["models"][1]["ci_low"] is None
    assert first["bootstrap"]["replicates"] == 40


def test_stepwise_and_text_output(capsys, hiv_csv):
    assert main(["capture-recapture", hiv_csv, "--stepwise"]) == 0
    out = capsys.readouterr().out
    assert "[1,2,3,4]" in out and "Stepwise pairs added: none" in out
    assert main(["capture-recapture", hiv_csv]) == 0
    out = capsys.readouterr().out
    assert "Number of captured units: 1896" in out and "Mbh" in out


def test_one_row_per_person(capsys, tmp_path):
    path = tmp_path / "people.csv"
    pd.DataFrame({"registry": [1, 1, 0, 1, 0, 1], "ost": [1, 0, 1, 0, 1, 1]}).to_csv(
        path, index=False
    )
    payload = run_json(capsys, "capture-recapture", str(path))
    assert payload["observed"] == 6
    assert [m["name"] for m in payload["models"]] == ["M0", "Mt", "Mb"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"A": [1, 0], "B": [0, 1], "freq": [-3, 2]}, "non-negative"),
        ({"A": [1, 0], "B": [0, 1], "freq": [1.5, 2]}, "whole"),
        ({"A": [1, 2], "B": [0, 1]}, "only 0 and 1"),
        ({"A": [1, 1], "B": [0, 0], "freq": [3, 2]}, "captured nobody"),
        ({"A": [1, 0]}, "at least 2 lists"),
    ],
)
def test_bad_files_exit_2(capsys, tmp_path, rows, message):
    path = tmp_path / "bad.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert main(["capture-recapture", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_missing_file_and_bad_model(capsys, hiv_csv, tmp_path):
    assert main(["capture-recapture", str(tmp_path / "none.csv")]) == 2
    assert main(["capture-recapture", hiv_csv, "--model", "[15]"]) == 2
    assert "list 5" in capsys.readouterr().err
    assert main(["capture-recapture", hiv_csv, "--ci", "bootstrap"]) == 2


def test_petersen(capsys):
    payload = run_json(capsys, "petersen", "500", "400", "100")
    assert set(payload) == {"lincoln_petersen", "chapman", "stderr", "ci_low", "ci_high"}
    assert payload["lincoln_petersen"] == 2000.0
    assert payload["ci_low"] >= 800
    assert main(["petersen", "10", "5", "6"]) == 2
    assert "cannot exceed" in capsys.readouterr().err


def test_module_entry_point(hiv_csv):
    done = subprocess.run(
        [sys.executable, "-m", "estimation", "petersen", "30", "20", "15"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Chapman" in done.stdout


@pytest.fixture
def strata_csv(tmp_path):
    rows = []
    for sex, scale in (("M", 2), ("F", 1)):
        for history, count in {"111": 5, "110": 20, "101": 15, "100": 90, "011": 10, "010": 70,
                               "001": 60}.items():  # fmt: skip
            rows.append({"A": int(history[0]), "B": int(history[1]), "C": int(history[2]),
                         "sex": sex, "freq": count * scale})  # fmt: skip
    path = tmp_path / "strata.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


def test_stratified_by_column(capsys, strata_csv):
    payload = run_json(capsys, "capture-recapture", strata_csv, "--by", "sex")
    names = [m["name"] for m in payload["models"]]
    assert names == ["sex=F: Mt", "sex=M: Mt", "total"]
    total = payload["models"][-1]
    assert total["abundance"] == pytest.approx(sum(m["abundance"] for m in payload["models"][:-1]))
    assert payload["observed"] == 810 and payload["by"] == "sex"
    assert main(["capture-recapture", strata_csv, "--by", "sex", "--stepwise"]) == 2


def test_list_columns_can_be_chosen(capsys, strata_csv):
    # without --lists the sex column is taken for a list and refused
    assert main(["capture-recapture", strata_csv]) == 2
    assert "'sex' must contain only 0 and 1" in capsys.readouterr().err
    payload = run_json(capsys, "capture-recapture", strata_csv, "--lists", "A,B", "--model", "Mt")
    assert payload["lists"] == ["A", "B"]


def test_bootstrap_needs_a_hierarchical_model(capsys, hiv_csv):
    argv = ["capture-recapture", hiv_csv, "--ci", "bootstrap", "--replicates", "20", "--seed", "3"]
    payload = run_json(capsys, *argv, "--model", "Mt")
    assert payload["models"][0]["ci_low"] < payload["models"][0]["abundance"]
    assert main([*argv, "--model", "Mh"]) == 2
    assert "hierarchical model" in capsys.readouterr().err
    payload = run_json(capsys, *argv, "--stepwise")
    assert payload["models"][0]["ci_low"] < payload["models"][0]["abundance"]
    assert payload["bootstrap"]["replicates"] == 20


def test_bca_from_the_command_line(capsys, hiv_csv):
    payload = run_json(
        capsys, "capture-recapture", hiv_csv, "--model", "[12,3,4]", "--ci", "bca",
        "--replicates", "40", "--seed", "2",
    )  # fmt: skip
    model = payload["models"][0]
    assert model["ci_low"] < model["abundance"] < model["ci_high"]
    assert "acceleration" in payload["bootstrap"]


def test_unbounded_profile_interval_is_explained(capsys, tmp_path):
    path = tmp_path / "sparse.csv"
    data = CaptureHistories(("A", "B", "C"), np.array([2, 5, 3, 60, 4, 70, 80]))
    data.to_frame().to_csv(path, index=False)
    payload = run_json(capsys, "capture-recapture", str(path), "--model", "[12,13,23]",
                       "--ci", "profile")  # fmt: skip
    (model,) = payload["models"]
    assert model["ci_high"] is None and model["ci_low"] > 224
    assert "profile upper limit is above" in model["message"]
