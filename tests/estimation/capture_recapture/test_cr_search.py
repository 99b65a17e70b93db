"""Model search, averaging, stepwise selection, existence checks, bootstrap, strata."""

import numpy as np
import pandas as pd
import pytest

from estimation.capture_recapture import (
    CaptureHistories,
    bootstrap,
    check_identifiability,
    enumerate_models,
    fit_loglinear,
    fit_pairwise,
    model_average,
    rome_hiv,
    search_models,
    simulate_histories,
    stepwise,
    stratified,
)
from estimation.capture_recapture.design import hierarchical_terms, parse_model, term_columns

DEPENDENT = CaptureHistories.from_frequencies(
    ["A", "B", "C"],
    {"111": 40, "110": 120, "101": 20, "100": 100, "011": 20, "010": 100, "001": 150},
)
# lists A and B never overlap
DISJOINT = CaptureHistories.from_frequencies(
    ["A", "B", "C"], {"101": 10, "100": 50, "011": 10, "010": 40, "001": 100}
)


def test_number_of_models():
    assert len(enumerate_models(3)) == 8
    assert len(enumerate_models(4)) == 113
    assert len(enumerate_models(5)) == 6893
    assert len(enumerate_models(5, max_order=2)) == 1024
    assert len(enumerate_models(6, max_order=2)) == 32768
    with pytest.raises(ValueError, match="too many models"):
        enumerate_models(6, max_order=3)


@pytest.mark.slow
def test_batched_search_matches_single_fits():
    histories = simulate_histories(
        population=5000, probabilities=[0.2, 0.15, 0.1, 0.25, 0.12], rng=np.random.default_rng(3)
    )
    table = search_models(histories, criterion="aic", max_order=2)
    assert len(table) == 1024
    for result in table.results[::97]:
        single = fit_loglinear(histories, result.name)
        assert result.abundance == pytest.approx(single.abundance, rel=1e-6)
        assert result.stderr == pytest.approx(single.stderr, rel=1e-4)
        assert result.deviance == pytest.approx(single.deviance, abs=1e-5)
        assert result.df == single.df
    aics = [r.aic for r in table.results]
    assert aics == sorted(aics)


def test_model_average():
    table = search_models(rome_hiv(), criterion="aic")
    average = model_average(table)
    assert sum(average.weights.values()) == pytest.approx(1.0)
    estimates = [r.abundance for r in table.results if r.name in average.weights]
    assert min(estimates) <= average.abundance <= max(estimates)
    low, high = average.conf_int()
    assert rome_hiv().observed <= low < average.abundance < high
    with pytest.raises(ValueError, match="criterion"):
        model_average(table, criterion="dic")


def test_zero_overlap_has_no_mle_and_is_flagged():
    X = np.column_stack(
        [np.ones(7), term_columns(DISJOINT.patterns, hierarchical_terms(parse_model("[12,3]", 3)))]
    )
    check = check_identifiability(X, DISJOINT.counts)
    assert not check.exists and check.identifiable and check.code == 1
    result = fit_loglinear(DISJOINT, "[12,3]")
    assert result.status == "no_mle" and not result.fit_ok
    assert "does not exist" in result.message
    assert fit_loglinear(DISJOINT, "Mt").fit_ok


def test_search_flags_models_without_mle():
    table = search_models(DISJOINT, criterion="bic")
    flagged = {r.name for r in table.results if r.status == "no_mle"}
    assert "[12,3]" in flagged
    assert table.best().fit_ok


def test_sparsemse_empty_overlap_handling():
    result = fit_pairwise(DISJOINT, [(0, 1)])
    assert "empty overlap" in result.message
    main = fit_pairwise(DISJOINT, [])
    # the A:B parameter is -inf: the 110 and 111 cells leave the fit, its AIC counts it
    assert result.df == 5 - 4
    parameters = (result.bic - result.aic) / (np.log(DISJOINT.observed) - 2)
    assert parameters == pytest.approx(5)  # intercept, 3 main effects and A:B
    assert main.abundance == pytest.approx(fit_loglinear(DISJOINT, "Mt").abundance, rel=1e-9)


def test_stepwise_adds_the_dependent_pair():
    result = stepwise(DEPENDENT)
    assert result.steps[0][0] == "A:B"
    assert result.steps[0][1] < 0.02
    assert result.model.name.startswith("[12")
    assert stepwise(DEPENDENT, threshold=0.0).model.name == "[1,2,3]"
    assert "Stepwise" in result.summary()


def test_stepwise_on_independent_data_adds_nothing():
    assert stepwise(rome_hiv()).model.name == "[1,2,3,4]"


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    first = bootstrap(rome_hiv(), rng=np.random.default_rng(11), replicates=60, criterion="aic")
    again = bootstrap(rome_hiv(), rng=np.random.default_rng(11), replicates=60, criterion="aic")
    np.testing.assert_array_equal(first.replicates, again.replicates)
    low, high = first.conf_int()
    assert low < first.abundance < high
    assert sum(first.selected.values()) == 60 - first.failures
    fixed = bootstrap(
        rome_hiv(), rng=np.random.default_rng(1), replicates=50, model="[12,3,4]", resample="fitted"
    )
    assert fixed.model == "[12,3,4]" and fixed.selected == {"[12,3,4]": 50}
    with pytest.raises(ValueError, match="resample"):
        bootstrap(rome_hiv(), rng=np.random.default_rng(1), resample="other")


def test_stratified_sums_strata():
    rows = []
    for sex, scale in (("M", 2), ("F", 1)):
        for history, count in {"111": 5, "110": 20, "101": 15, "100": 90, "011": 10, "010": 70,
                               "001": 60}.items():  # fmt: skip
            rows.append({"A": int(history[0]), "B": int(history[1]), "C": int(history[2]),
                         "sex": sex, "freq": count * scale})  # fmt: skip
    frame = pd.DataFrame(rows)
    result = stratified(frame, by="sex", model="Mt")
    assert set(result.strata) == {"F", "M"}
    assert result.abundance == pytest.approx(sum(r.abundance for r in result.strata.values()))
    assert result.observed == frame["freq"].sum()
    table = result.to_frame()
    assert table.loc["total", "abundance"] == pytest.approx(result.abundance)
    low, high = result.conf_int()
    assert result.observed <= low < result.abundance < high
    with pytest.raises(ValueError, match="by="):
        stratified(frame, model="Mt")
    searched = stratified(frame, by="sex", criterion="bic")
    assert searched.fit_ok


def test_profile_interval_for_chao_model_and_errors():
    result = fit_loglinear(rome_hiv(), "Mth", heterogeneity="Chao")
    low, high = result.conf_int(method="profile")
    assert rome_hiv().observed <= low < result.abundance < high
    with pytest.raises(ValueError, match="no profile"):
        fit_loglinear(rome_hiv(), "Mb").conf_int(method="profile")
    with pytest.raises(ValueError, match="unknown interval"):
        result.conf_int(method="magic")
    with pytest.raises(ValueError, match="cannot read model"):
        fit_loglinear(rome_hiv(), "[1a,2]")
    with pytest.raises(ValueError, match="4-list interaction"):
        fit_loglinear(rome_hiv(), "[1234]")
    with pytest.raises(ValueError, match="unknown heterogeneity"):
        fit_loglinear(rome_hiv(), "Mh", heterogeneity="weird")


def test_search_with_heterogeneity_matches_single_fits():
    table = search_models(rome_hiv(), criterion="aic", heterogeneity="Darroch")
    assert len(table) == 113
    for result in table.results[:3]:
        assert result.name.endswith(" Darroch")
        single = fit_loglinear(rome_hiv(), result.name.split()[0], heterogeneity="Darroch")
        assert result.abundance == pytest.approx(single.abundance, rel=1e-6)
    chao = search_models(rome_hiv(), criterion="aic", heterogeneity="Chao")
    for result in chao.results[:3]:
        single = fit_loglinear(rome_hiv(), result.name.split()[0], heterogeneity="Chao")
        assert result.abundance == pytest.approx(single.abundance, rel=1e-6)
        assert result.aic == pytest.approx(single.aic, abs=1e-6)
        assert result.status == single.status == "boundary"  # eta4 < 0 set to 0


def test_stepwise_adds_an_empty_overlap_as_sparsemse():
    # A and B never overlap although both are large: the A:B parameter is minus infinity
    data = CaptureHistories.from_frequencies(
        ["A", "B", "C"], {"101": 30, "100": 300, "011": 40, "010": 350, "001": 200}
    )
    result = stepwise(data)
    assert [pair for pair, _ in result.steps] == ["A:B"]
    assert "empty overlap(s) A:B" in result.model.message
    assert result.model.fit_ok
    assert "Note: empty overlap" in result.summary()
    # the 110 and 111 cells are structural zeros: 5 cells, 4 parameters fitted
    assert result.model.df == 1


def test_rank_deficient_design_is_reported():
    X = np.column_stack([np.ones(7), np.arange(7.0), 2 * np.arange(7.0)])
    check = check_identifiability(X, np.arange(1, 8))
    assert check.exists and not check.identifiable
    assert check.rank_deficiency == 1 and check.code == 2 and not check.ok


def test_model_average_skips_flagged_fits():
    table = search_models(DISJOINT, criterion="aic")
    average = model_average(table)
    assert "[12,3]" not in average.weights
    assert all(table[name].usable for name in average.weights)


def test_bca_interval():
    result = bootstrap(rome_hiv(), rng=np.random.default_rng(4), replicates=80, model="[12,3,4]")
    assert np.isfinite(result.acceleration) and abs(result.acceleration) < 0.2
    low, high = result.conf_int(method="bca")
    assert rome_hiv().observed < low < high
    with pytest.raises(ValueError, match="percentile or bca"):
        result.conf_int(method="basic")


def test_large_asymptotic_bias_is_noted():
    sparse = CaptureHistories(("A", "B", "C"), np.array([2, 5, 3, 60, 4, 70, 80]))
    saturated = fit_loglinear(sparse, "[12,13,23]")
    assert saturated.bias > 0.1 * saturated.abundance
    assert "asymptotic bias is large" in saturated.message
    mt = fit_loglinear(sparse, "Mt")
    assert 0 < mt.bias < 0.1 * mt.abundance and mt.message == ""


def test_boundary_fits_are_usable_for_selection():
    table = search_models(rome_hiv(), criterion="aic", heterogeneity="Chao")
    best = table.best()
    assert best.status == "boundary" and best.usable and not best.fit_ok
    assert best.name in model_average(table).weights


def test_stepwise_bootstrap():
    result = bootstrap(DEPENDENT, rng=np.random.default_rng(8), replicates=30, stepwise=True)
    assert result.model == stepwise(DEPENDENT).model.name
    assert result.abundance == pytest.approx(stepwise(DEPENDENT).model.abundance)
    low, high = result.conf_int()
    assert low < result.abundance < high
    assert np.isfinite(result.acceleration)
    with pytest.raises(ValueError, match="stepwise bootstrap"):
        bootstrap(DEPENDENT, rng=np.random.default_rng(8), stepwise=True, model="[12,3]")
