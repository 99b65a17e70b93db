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


def _extent(artist, figure):
    return artist.get_window_extent(figure.canvas.get_renderer())


def _drawn(figure):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure).draw()
    return figure


def test_the_average_legend_sits_under_the_plot_not_over_the_top_model(app):
    # issue 14 item 8: the legend was drawn inside the axes, over the top model's row
    rows = [
        {"name": f"[{i}]", "abundance": 600 + 10 * i, "ci_low": 500, "ci_high": 800,
         "aic": 40 + i, "bic": 60 + i}
        for i in range(8)
    ]  # fmt: skip
    average = {"abundance": 640, "ci_low": 560, "ci_high": 760}
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        figure = _drawn(plots.model_figure(rows, average=average))
    assert figure.legends, "the legends belong to the figure, outside the axes"
    legend = _extent(figure.legends[0], figure)
    for ax in figure.axes:
        assert not legend.overlaps(_extent(ax, figure))
        assert ax.get_legend() is None


def test_count_estimators_have_no_empty_criterion_panel():
    # issue 14 item 8: Chao and Zelterman have no AIC/BIC; the right panel was empty
    rows = [{"name": "chao", "abundance": 1400.0, "ci_low": 1100.0, "ci_high": 1900.0,
             "aic": None, "bic": None}]  # fmt: skip
    assert len(plots.model_figure(rows).axes) == 1
    rows[0]["aic"] = 12.5
    assert len(plots.model_figure(rows).axes) == 2


def test_the_russian_hiv_axis_label_is_inside_the_image(app):
    # issue 14 item 8: "Распространённость ВИЧ, % (95% интервал Уилсона)" was cut at the top
    years = [{"year": y, "prevalence": 0.1 + y % 3 / 20, "ci_low": 0.05, "ci_high": 0.3}
             for y in (2001, 2002, 2003)]  # fmt: skip
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        figure = _drawn(plots.hiv_figure(years))
        label = figure.axes[0].yaxis.label
        assert "ВИЧ" in label.get_text()
        box, whole = _extent(label, figure), figure.bbox
    assert whole.y0 <= box.y0 and box.y1 <= whole.y1 and whole.x0 <= box.x0


def test_multiplier_coverage_and_projection_plots(app):
    from registry import estimate_plots

    surveys = [
        {"label": "RDS 2003", "abundance": 6020, "ci_low": 5080, "ci_high": 7134},
        {"label": "", "abundance": 4085, "ci_low": 3581, "ci_high": 4660},
    ]
    pooled = {"abundance": 4725, "ci_low": 4259, "ci_high": 5243}
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        image(estimate_plots.multiplier_surveys(surveys, pooled, pooled=True, registered=3508))
        image(estimate_plots.coverage_bands(
            {"coverage": 0.06, "ci_low": 0.05, "ci_high": 0.075}, target=0.4))  # fmt: skip
        projections = [{"scenario": name, "year": 2003 + k, "value": 600 * (1 + g) ** k,
                        "low": 550 * (1 + g) ** k, "high": 700 * (1 + g) ** k}
                       for name, g in (("trend", 0.06), ("best", -0.025))
                       for k in range(1, 6)]  # fmt: skip
        image(estimate_plots.projection_scenarios(
            2003, {"value": 600, "low": 550, "high": 700}, projections,
            {"trend": "экстраполяция тренда"}))  # fmt: skip
    image(estimate_plots.multiplier_surveys([], None))
    image(estimate_plots.coverage_bands({"coverage": None}))
    image(estimate_plots.projection_scenarios(2003, {"value": None}, []))


@pytest.mark.parametrize(("locale", "separator"), [("ru", "\u00a0"), ("en", ",")])
def test_counts_on_an_axis_are_written_as_the_page_writes_them(app, locale, separator):
    # the model comparison printed 10000 15000 (no separator), unlike every page
    rows = [{"name": "[12,3]", "abundance": 12_000, "ci_low": 9_000, "ci_high": 16_000,
             "aic": 40.0, "bic": 45.0}]  # fmt: skip
    with app.test_request_context(headers={"Accept-Language": locale}):
        figure = _drawn(plots.model_figure(rows))
        labels = [t.get_text() for t in figure.axes[0].get_xticklabels() if t.get_text()]
    thousands = [label for label in labels if len(label.replace(separator, "")) >= 5]
    assert thousands and all(separator in label for label in thousands), labels
