"""Reference figures from R's Rcapture on the Rome HIV data (Abeni, Brancato & Perucci 1994).

R (Rcapture 1.4), with the package's ``HIV`` dataset (columns c1-c4 and the frequency)::

    library(Rcapture)
    data(HIV)
    closedp.t(HIV, dfreq = TRUE)
    closedpCI.t(HIV, dfreq = TRUE, mX = ~ (c1 + c2 + c3 + c4) + c1:c2)  # model [12,3,4]
    closedpMS.t(HIV, dfreq = TRUE)                                     # ranked by BIC

Figures are compared to the precision R prints them (abundance and stderr to 0.1;
deviance, AIC and BIC to 0.001): each value must round to the printed one.
"""

import pytest

from estimation.capture_recapture import (
    closed_population_models,
    fit_loglinear,
    rome_hiv,
    search_models,
)

# closedp.t(HIV, dfreq=TRUE): abundance, stderr
CLOSEDP_T = {
    "M0": (11576.7, 946.1),
    "Mt": (11124.6, 904.8),
    "Mh Chao (LB)": (12145.1, 1076.2),
    "Mh Poisson2": (15071.0, 2972.1),
    "Mh Darroch": (20984.6, 8266.5),
    "Mh Gamma3.5": (29202.3, 17511.6),
    "Mth Chao (LB)": (11701.0, 1030.9),
    "Mth Poisson2": (14849.8, 2915.1),
    "Mth Darroch": (21327.5, 8428.4),
    "Mth Gamma3.5": (30623.2, 18463.1),
    "Mb": (4045.9, 386.9),
    "Mbh": (2465.1, 88.2),
}

# deviance, df, AIC, BIC as printed by closedp.t / closedpMS.t
FIT_STATISTICS = {
    "M0": (297.819, 13, 368.855, 379.950),
    "Mt": (13.026, 10, 90.062, 117.800),
}


def rounds_to(value: float, printed: float, decimals: int) -> bool:
    return abs(value - printed) <= 0.5 * 10**-decimals + 1e-9


@pytest.fixture(scope="module")
def table():
    return closed_population_models(rome_hiv())


def test_rome_hiv_data():
    histories = rome_hiv()
    assert histories.observed == 1896
    assert histories.n_lists == 4


@pytest.mark.parametrize("name", list(CLOSEDP_T))
def test_closedp_t_abundance_and_stderr(table, name):
    abundance, stderr = CLOSEDP_T[name]
    result = table[name]
    assert rounds_to(result.abundance, abundance, 1), result.abundance
    assert rounds_to(result.stderr, stderr, 1), result.stderr


@pytest.mark.parametrize("name", list(FIT_STATISTICS))
def test_closedp_t_fit_statistics(table, name):
    deviance, df, aic, bic = FIT_STATISTICS[name]
    result = table[name]
    assert rounds_to(result.deviance, deviance, 3)
    assert result.df == df
    assert rounds_to(result.aic, aic, 3)
    assert rounds_to(result.bic, bic, 3)


def test_closedp_t_order_and_flags(table):
    assert [r.name for r in table.results] == list(CLOSEDP_T)
    # Chao's lower bound sets the negative eta4 to zero: reported, not silent
    assert table["Mh Chao (LB)"].status == "boundary"
    assert "eta4" in table["Mh Chao (LB)"].message
    assert table["Mt"].fit_ok


def test_model_12_3_4_and_profile_interval():
    result = fit_loglinear(rome_hiv(), "[12,3,4]")
    assert result.name == "[12,3,4]"
    assert rounds_to(result.abundance, 12318.5, 1)
    assert rounds_to(result.stderr, 1188.7, 1)
    assert rounds_to(result.deviance, 7.614, 3)
    assert result.df == 9
    low, high = result.conf_int(method="profile")
    assert rounds_to(low, 10266.0, 1)
    assert rounds_to(high, 14992.3, 1)


def test_closedp_ms_ranking_by_bic():
    table = search_models(rome_hiv(), criterion="bic")
    assert len(table) == 113
    top = [(r.name, r.bic) for r in table.results[:3]]
    expected = [("[1,2,3,4]", 117.800), ("[12,3,4]", 119.935), ("[13,2,4]", 123.485)]
    for (name, bic), (want_name, want_bic) in zip(top, expected, strict=True):
        assert name == want_name
        assert rounds_to(bic, want_bic, 3)
    assert table.best().name == "[1,2,3,4]"


def test_search_result_equals_single_fit():
    table = search_models(rome_hiv(), criterion="aic")
    single = fit_loglinear(rome_hiv(), "[12,3,4]")
    found = table["[12,3,4]"]
    assert found.abundance == pytest.approx(single.abundance, rel=1e-7)
    assert found.stderr == pytest.approx(single.stderr, rel=1e-5)
    assert found.aic == pytest.approx(single.aic, abs=1e-6)


def test_descriptive_statistics():
    # descriptive(HIV, dfreq=TRUE)
    #        fi    ui    vi    ni
    # i = 1  1774   466   403   466
    # i = 2   115   593   578   630
    # i = 3     7   632   679   693
    # i = 4     0   205   236   236
    table = rome_hiv().describe()
    assert table["fi"].tolist() == [1774, 115, 7, 0]
    assert table["ui"].tolist() == [466, 593, 632, 205]
    assert table["vi"].tolist() == [403, 578, 679, 236]
    assert table["ni"].tolist() == [466, 630, 693, 236]


def test_goodness_of_fit_and_residuals():
    result = fit_loglinear(rome_hiv(), "[12,3,4]")
    # 1 - pchisq(7.614, 9)
    assert result.deviance_p_value == pytest.approx(0.5732, abs=5e-4)
    table = result.residuals()
    assert table.index[0] == "1111" and len(table) == 15
    assert table["fitted"].sum() == pytest.approx(rome_hiv().observed, rel=1e-9)
    pearson = (table["observed"] - table["fitted"]) / table["fitted"] ** 0.5
    assert table["pearson"].tolist() == pytest.approx(pearson.tolist())
