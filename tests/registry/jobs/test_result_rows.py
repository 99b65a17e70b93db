"""CSV rows of a result: the chosen estimate first, or the years of an HIV trend."""

from registry.services.methods import METHODS


def test_capture_recapture_rows_start_with_the_chosen_estimate():
    payload = {
        "estimate": {"name": "[12,3]", "abundance": 120.0},
        "models": [{"name": "[1,2,3]", "abundance": 100.0}],
    }
    method = METHODS["capture_recapture"]
    rows = method.rows(method.read(payload))
    assert [row["row"] for row in rows] == ["estimate", "model"]
    assert rows[0]["abundance"] == 120.0


def test_hiv_trend_rows_are_its_years():
    payload = {"years": [{"year": 2003, "tested": 50, "positive": 2}], "trend": {}}
    method = METHODS["hiv_trend"]
    rows = method.rows(method.read(payload))
    assert rows == [{"row": "year", "year": 2003, "tested": 50, "positive": 2,
                     "prevalence": None, "ci_low": None, "ci_high": None}]  # fmt: skip
