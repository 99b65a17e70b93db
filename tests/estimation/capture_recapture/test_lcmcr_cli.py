"""``capture-recapture --bayes lcmcr``: the latent-class posterior on the command line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from estimation.capture_recapture import rome_hiv
from estimation.cli import main

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def hiv_csv(tmp_path):
    path = tmp_path / "hiv.csv"
    rome_hiv().to_frame().to_csv(path, index=False)
    return str(path)


def test_default_run_is_seeded_and_reports_its_diagnostics(capsys, hiv_csv):
    argv = ["capture-recapture", hiv_csv, "--bayes", "lcmcr", "--seed", "1", "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "estimation", *argv],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    payload = json.loads(done.stdout)
    assert payload["observed"] == 1896 and payload["method"] == "lcmcr"
    (model,) = payload["models"]
    assert model["name"] == "lcmcr"
    assert model["abundance"] == model["median"]
    assert 1896 < model["ci_low"] < model["abundance"] < model["ci_high"]
    for key in ("rhat", "ess", "chains", "classes", "burn_in", "samples", "thinning", "seed"):
        assert key in model, key
    assert (model["chains"], model["classes"], model["seed"]) == (2, 10, 1)
    assert (model["burn_in"], model["samples"], model["thinning"]) == (10_000, 1_000, 100)
    assert model["fit_ok"] == (not model["warnings"])
    # the same seed, in another process (the dispatcher in this one): the same numbers
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == payload


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--bayes", "lcmcr", "--chains", "0"], "chains must be a whole number of at least 1"),
        (["--bayes", "lcmcr", "--seed", "-3"], "seed must be a whole number of at least 0"),
        (["--bayes", "lcmcr", "--delta", "0.5"], "--delta is dga's prior"),
        (["--bayes", "lcmcr", "--alpha", "1.5"], "--alpha must be between 0 and 1"),
        (["--search", "aic", "--chains", "3"], "--chains works only with --bayes lcmcr"),
    ],
)
def test_bad_options_give_a_clear_error(capsys, hiv_csv, options, message):
    assert main(["capture-recapture", hiv_csv, *options, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err


def test_text_output_names_the_method_and_interval(capsys, hiv_csv):
    argv = ["capture-recapture", hiv_csv, "--bayes", "lcmcr", "--seed", "2", "--chains", "1"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "lcmcr on 4 lists" in text and "95% credible interval" in text
    assert "one_chain" in text  # the single chain is flagged
