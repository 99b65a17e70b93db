"""Rcapture's warnings (``infoFit``), the best unflagged model, and the model counts.

The expected codes are R's: ``tests/estimation/reference/rcapture_infofit.R`` fits every
model of each table with base R's ``glm`` under Rcapture 1.4's conditions (``getInfo`` and
``closedp.fitone`` in ``R/internal.DRY.R``) and wrote the CSV files next to it, e.g.

    Rscript rcapture_infofit.R hiv_cells.csv hiv_models.txt > rcapture_infofit/hiv.csv
"""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from estimation.capture_recapture import CaptureHistories, fit_loglinear, rome_hiv, search_models
from estimation.capture_recapture.candidates import count_models, enumerate_models
from estimation.cli import main

REFERENCE = Path(__file__).parents[1] / "reference" / "rcapture_infofit"


def histories(counts):
    """Frequencies in Rcapture's ``histpos.t`` order."""
    k = {7: 3, 15: 4}[len(counts)]
    return CaptureHistories(tuple(f"c{i + 1}" for i in range(k)), np.array(counts))


TABLES = {
    # Rcapture's data set HIV (man/HIV.Rd)
    "hiv": rome_hiv(),
    # Rcapture's inst/tests/testPapersResults.R: cor.dat (Cormack 1989, table 3a), sparse
    "cormack_3a": histories([72, 5, 29, 53, 24, 3, 12, 14, 0, 0, 0, 1, 0, 0, 2]),
    # testPapersResults.R: diabetes (Bruno et al. 1994)
    "diabetes": histories([58, 157, 18, 104, 46, 650, 12, 709, 14, 20, 7, 74, 8, 182, 10]),
    # small 3-list tables whose pairwise models carry warning #1
    "sparse_3": histories([2, 5, 3, 60, 4, 70, 80]),
    "flagged_3": histories([5, 22, 1, 42, 6, 36, 10]),
}


def reference_codes(name):
    with open(REFERENCE / f"{name}.csv", newline="") as handle:
        return {row["model"]: int(row["info_fit"]) for row in csv.DictReader(handle)}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_model_carries_rcapture_codes(name):
    expected = reference_codes(name)
    table = search_models(TABLES[name])
    assert len(table) == len(expected)
    found = {result.name: result.info_fit for result in table.results}
    assert found == expected


def test_the_reference_tables_exercise_every_code():
    codes = {c for name in TABLES for c in reference_codes(name).values()}
    assert {0, 1, 13} <= codes


def test_single_fits_carry_the_same_warnings_as_the_search():
    table = search_models(TABLES["cormack_3a"])
    for name in ("[12,13,14,34]", "[134,12]", "[34,1,2]"):
        single = fit_loglinear(TABLES["cormack_3a"], name)
        assert single.warnings == table[name].warnings
    assert [w.code for w in table["[134,12]"].warnings] == [3, 1]
    assert table["[134,12]"].warnings[0].message == "glm: fitted rates numerically 0 occurred"


def test_saturated_model_flagged_as_rcapture_does():
    saturated = search_models(TABLES["sparse_3"])["[12,13,23]"]
    assert saturated.info_fit == 1 and saturated.status == "ok"
    assert saturated.warnings[0].message == "the asymptotic bias is large"


def test_best_model_skips_flagged_models_and_keeps_the_ranking():
    table = search_models(TABLES["flagged_3"], criterion="aic")
    assert [r.name for r in table.results[:3]] == ["[12,23]", "[12,13,23]", "[23,1]"]
    assert table.results[0].info_fit == 1
    assert table.best_without_warnings().name == "[23,1]"
    assert table.best().name == "[12,23]"


def test_cli_reports_warnings_best_and_model_count(tmp_path, capsys):
    path = tmp_path / "lists.csv"
    hist = TABLES["flagged_3"]
    rows = ["c1,c2,c3,freq"] + [
        ",".join(map(str, p)) + f",{c}" for p, c in zip(hist.patterns, hist.counts, strict=True)
    ]
    path.write_text("\n".join(rows) + "\n")
    assert main(["capture-recapture", str(path), "--search", "aic", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["best"] == "[23,1]"
    first = payload["models"][0]
    assert first["info_fit"] == 1
    assert first["warnings"] == [{"code": 1, "message": "the asymptotic bias is large"}]
    assert payload["model_count"]["fitted"] == 8 and payload["model_count"]["left_out"] == 10
    assert main(["capture-recapture", str(path), "--search", "aic"]) == 0
    text = capsys.readouterr().out
    assert "[12,23]: Rcapture warning #1: the asymptotic bias is large" in text
    assert "Best model without warnings (by AIC): [23,1]" in text


# Rcapture's getAllModels(t, maxorder) in R/closedpMS.R, run in R 4.2 on this machine
# (length(getAllModels(...)) with the default forced = 1:t, then with forced = NULL);
# man/closedpMS.Rd prints "By default, closedpMS.t fits the 113 following models" for t = 4.
RCAPTURE_COUNTS = {
    (3, 2): (8, 18),
    (4, 2): (64, 113),
    (4, 3): (113, 166),
    (5, 2): (1024, 1450),
    (5, 3): (6212, 6893),
    (5, 4): (6893, 7579),
    (6, 2): (32768, None),
}


@pytest.mark.parametrize(("lists", "order"), sorted(RCAPTURE_COUNTS))
def test_model_counts_equal_rcapture(lists, order):
    forced, free = RCAPTURE_COUNTS[(lists, order)]
    assert len(enumerate_models(lists, order)) == forced
    assert count_models(lists, order) == forced
    if free is not None:
        assert count_models(lists, order, main_effects_forced=False) == free
