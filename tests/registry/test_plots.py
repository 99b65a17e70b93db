"""Server-side plots: PNG bytes from the estimation library's results, no database."""

from __future__ import annotations

import io
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from estimation.capture_recapture import bootstrap, closed_population_models, rome_hiv
from estimation.hiv_trend import yearly_prevalence
from estimation.retention import kaplan_meier
from registry import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image(data: bytes) -> Image.Image:
    assert data.startswith(PNG_SIGNATURE)
    picture = Image.open(io.BytesIO(data))
    picture.verify()
    return Image.open(io.BytesIO(data))


def test_model_comparison_of_the_closedp_table_on_the_rome_data():
    table = closed_population_models(rome_hiv())
    rows = [result.to_dict() for result in table.results]
    picture = image(plots.model_comparison(rows, chosen=rows[0]["name"]))
    assert picture.size[0] >= 700 and picture.size[1] >= 400


def test_a_long_model_list_makes_a_taller_plot_and_is_cut_at_the_limit():
    rows = [
        {"name": f"m{i}", "abundance": 1000 + i, "ci_low": 900, "ci_high": 1200, "aic": i, "bic": i}
        for i in range(40)
    ]
    short = image(plots.model_comparison(rows[:3]))
    long = image(plots.model_comparison(rows, limit=20))
    assert long.size[1] > short.size[1]


def test_models_without_estimates_or_intervals_still_plot():
    rows = [
        {"name": "Mb", "abundance": 120.0, "ci_low": None, "ci_high": None, "aic": None},
        {"name": "Mh Chao", "abundance": None},
    ]
    image(plots.model_comparison(rows))
    image(plots.model_comparison([]))


def test_bootstrap_distribution():
    result = bootstrap(rome_hiv(), model="[1,2,3]", replicates=60, rng=np.random.default_rng(1))
    low, high = result.conf_int()
    data = plots.bootstrap_distribution(
        [*result.replicates.tolist(), None, float("nan")],
        estimate=result.abundance,
        ci_low=low,
        ci_high=high,
    )
    image(data)
    image(plots.bootstrap_distribution([]))


def test_hiv_prevalence_with_wilson_intervals():
    frame = pd.DataFrame(
        {"year": [2001, 2002, 2003], "tested": [200, 250, 300], "positive": [0, 12, 30]}
    )
    years = [asdict(row) for row in yearly_prevalence(frame)]
    image(plots.hiv_prevalence(years))
    image(plots.hiv_prevalence([]))


def test_kaplan_meier_curves_with_bands():
    rng = np.random.default_rng(3)
    curves = {}
    for label in ("methadone", "buprenorphine"):
        durations = rng.exponential(12, size=80).round(1)
        events = rng.integers(0, 2, size=80)
        curves[label] = asdict(kaplan_meier(durations, events))
    image(plots.kaplan_meier(curves))
    image(plots.kaplan_meier({}))


@pytest.mark.parametrize("locale", ["ru"])
def test_axis_texts_follow_the_request_language(app, locale):
    with app.test_request_context(headers={"Accept-Language": locale}):
        image(
            plots.hiv_prevalence(
                [{"year": 2003, "prevalence": 0.1, "ci_low": 0.05, "ci_high": 0.2}]
            )
        )
