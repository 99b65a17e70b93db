"""More reference figures: Rcapture's own regression tests and examples.

The R calls are those of Rcapture's ``inst/tests/testPapersResults.R`` and of the examples
whose output is saved in ``tests/Examples/Rcapture-Ex.Rout.save``; each test quotes them.
Values are compared at the precision the R test or printout uses.
"""

import numpy as np
import pytest

from estimation.capture_recapture import (
    CaptureHistories,
    closed_population_models,
    fit_loglinear,
    rome_hiv,
)


def histories(counts):
    """Frequencies in Rcapture's ``histpos.t`` order, as ``cbind(histpos.t(k), counts)``."""
    k = {3: 3, 7: 3, 15: 4}[len(counts)]
    return CaptureHistories(tuple(f"c{i + 1}" for i in range(k)), np.array(counts))


# histpos <- histpos.t(3); DarR3 <- cbind(histpos, c(72, 155, 7, 71, 13, 53, 43))
DARROCH_R3 = histories([72, 155, 7, 71, 13, 53, 43])
# diabetes <- cbind(histpos.t(4), c(58,157,18,104,46,650,12,709,14,20,7,74,8,182,10))
DIABETES = histories([58, 157, 18, 104, 46, 650, 12, 709, 14, 20, 7, 74, 8, 182, 10])
# cor.dat3 <- cbind(histpos.t(3), c(72,5,29,54,24,3,14))
CORMACK_3B = histories([72, 5, 29, 54, 24, 3, 14])
# cor.dat <- cbind(histpos.t(4), c(72,5,29,53,24,3,12,14,0,0,0,1,0,0,2))
CORMACK_3A = histories([72, 5, 29, 53, 24, 3, 12, 14, 0, 0, 0, 1, 0, 0, 2])


@pytest.mark.parametrize(
    ("model", "heterogeneity", "abundance", "stderr", "deviance", "df"),
    [
        # closedpCI.t(X=DarR3, dfreq=TRUE, mX=~(c1+c2+c3)^2): round() 1240, 451
        ("[12,13,23]", None, 1240, 451, None, 0),
        # closedpCI.t(X=DarR3, dfreq=TRUE, mX=~.+c1:c2+c2:c3): 850, 186, 3.8, 1
        ("[12,23]", None, 850, 186, 3.8, 1),
        # closedpCI.t(X=DarR3, dfreq=TRUE, mX=~.+c1:c2, h="LB"): 681, 78, 3.45, 1
        ("[12,3]", "LB", 681, 78, 3.45, 1),
    ],
)
def test_darroch_r3(model, heterogeneity, abundance, stderr, deviance, df):
    result = fit_loglinear(DARROCH_R3, model, heterogeneity=heterogeneity)
    assert round(result.abundance) == abundance
    assert round(result.stderr) == stderr
    if deviance is not None:
        digits = len(str(deviance).split(".")[1])
        assert round(result.deviance, digits) == deviance
    assert result.df == df


def test_darroch_r3_darroch_heterogeneity():
    # closedpCI.t(X=DarR3, dfreq=TRUE, mX=~.+c1:c2, h="Darroch"): round(, 1) 1181.8, 404.2
    result = fit_loglinear(DARROCH_R3, "[12,3]", heterogeneity="Darroch")
    assert round(result.abundance, 1) == 1181.8
    assert round(result.stderr, 1) == 404.2


@pytest.mark.parametrize(
    ("model", "heterogeneity", "theta", "abundance", "stderr", "deviance", "df"),
    [
        # closedpCI.t(X=diabetes, dfreq=TRUE, mX=~(c1+c2+c3+c4)^2-c1:c4)
        ("[12,13,23,24,34]", None, None, 2771, 145, 7.62, 5),
        # closedpCI.t(X=diabetes, dfreq=TRUE, mX=~.+c1:c3+c2:c4+c3:c4)
        ("[13,24,34]", None, None, 2472, 53, 21.97, 7),
        # ... same mX, h="LB"
        ("[13,24,34]", "LB", None, 2588, 75, 3.13, 6),
        # ... h="Poisson"
        ("[13,24,34]", "Poisson", None, 2573, 76, 12.88, 6),
        # ... h="Darroch"
        ("[13,24,34]", "Darroch", None, 2752, 133, 8.32, 6),
        # ... h="Gamma"
        ("[13,24,34]", "Gamma", None, 2964, 219, 6.74, 6),
        # ... h="Gamma", h.control=list(theta=0.5)
        ("[13,24,34]", "Gamma", 0.5, 4238, 952, 5.49, 6),
    ],
)
def test_diabetes(model, heterogeneity, theta, abundance, stderr, deviance, df):
    result = fit_loglinear(DIABETES, model, heterogeneity=heterogeneity, theta=theta)
    assert round(result.abundance) == abundance
    assert round(result.stderr) == stderr
    assert round(result.deviance, 2) == deviance
    assert result.df == df


@pytest.mark.parametrize(
    ("model", "abundance", "deviance", "df", "low", "high"),
    [
        # b1 <- closedpCI.t(cor.dat3, dfreq=TRUE, m="Mt"): 209, 75.1, 3, CI 203 to 217
        ("[1,2,3]", 209, 75.1, 3, 203, 217),
        # b2 <- closedpCI.t(cor.dat3, dfreq=TRUE, mX=~.+c2:c3): 1.2, 2, InfCL 210
        ("[23,1]", None, 1.2, 2, 210, None),
        # b3 <- closedpCI.t(cor.dat3, dfreq=TRUE, mX=~.+c1:c2+c2:c3): 0.6, 1
        ("[12,23]", None, 0.6, 1, None, None),
        # b4 <- closedpCI.t(cor.dat3, dfreq=TRUE, mX=~.+c1:c3+c2:c3): 233, 1, InfCL 204
        ("[13,23]", 233, None, 1, 204, None),
    ],
)
def test_cormack_table_3b_with_profile_intervals(model, abundance, deviance, df, low, high):
    result = fit_loglinear(CORMACK_3B, model)
    if abundance is not None:
        assert round(result.abundance) == abundance
    if deviance is not None:
        assert round(result.deviance, 1) == deviance
    assert result.df == df
    lower, upper = result.conf_int(method="profile")
    if low is not None:
        assert round(lower) == low
    if high is not None:
        assert round(upper) == high


def test_cormack_table_3a_sparse_table():
    # a1 <- closedpCI.t(cor.dat, dfreq=TRUE, m="Mt"): 215, 87.1, 10
    mt = fit_loglinear(CORMACK_3A, "Mt")
    assert (round(mt.abundance), round(mt.deviance, 1), mt.df) == (215, 87.1, 10)
    assert mt.fit_ok
    # a3 <- closedpCI.t(cor.dat, dfreq=TRUE, mX=~.+c3:c4): 215, df 9
    a3 = fit_loglinear(CORMACK_3A, "[34,1,2]")
    assert (round(a3.abundance), a3.df) == (215, 9)
    # a2 <- closedpCI.t(cor.dat, dfreq=TRUE, mX=~(c1+c2+c3+c4)^2): N > 1e6, 1.3, df 4
    a2 = fit_loglinear(CORMACK_3A, "[12,13,14,23,24,34]")
    assert a2.abundance > 1e6 and round(a2.deviance, 1) == 1.3 and a2.df == 4
    # a5 <- closedpCI.t(cor.dat, dfreq=TRUE, mX=~.+c1:c2+c1:c3+c3:c4): 218, 2.6, df 7
    a5 = fit_loglinear(CORMACK_3A, "[12,13,34]")
    assert (round(a5.abundance), round(a5.deviance, 1), a5.df) == (218, 2.6, 7)
    # Rcapture prints these silently; here the empty margins are flagged: nobody is on
    # list 3 without list 1, so the [13] interaction goes to infinity
    for result in (a2, a5):
        assert result.status == "no_mle" and "does not exist" in result.message


def test_hiv_all_pairwise_interactions_with_profile():
    # cp.m1 <- closedpCI.t(HIV, dfreq=TRUE, mX= ~ (c1+c2+c3+c4)^2)
    #   abundance 23443.5, stderr 9594.9, deviance 3.037, df 4, AIC 92.073
    #   profile: 23269.8, InfCL 10027.6, SupCL 50046.3
    #   (Intercept) 9.9780167 (0.4452368)
    result = fit_loglinear(rome_hiv(), "[12,13,14,23,24,34]")
    assert round(result.abundance, 1) == 23443.5
    assert round(result.stderr, 1) == 9594.9
    assert round(result.deviance, 3) == 3.037
    assert round(result.aic, 3) == 92.073
    assert result.df == 4
    assert result.coefficients["(Intercept)"] == pytest.approx(9.9780167, abs=5e-8)
    assert result.var_intercept**0.5 == pytest.approx(0.4452368, abs=5e-8)
    assert result.coefficients["c1:c2"] == pytest.approx(1.1545857, abs=5e-7)
    n_max, low, high = result.profile()
    assert (round(n_max, 1), round(low, 1), round(high, 1)) == (23269.8, 10027.6, 50046.3)


def test_seber_two_lists():
    # X <- matrix(c(1,1,167,1,0,781,0,1,254), byrow=TRUE, ncol=3); closedp.t(X, dfreq=TRUE)
    #     abundance stderr deviance df     AIC
    # M0     2805.6  164.1  281.334  1 308.166
    # Mt     2389.9  130.4    0.000  0  28.831
    # Mb     1295.0   17.3    0.000  0  28.831
    data = CaptureHistories.from_frequencies(["1", "2"], {"11": 167, "10": 781, "01": 254})
    table = closed_population_models(data)
    expected = {
        "M0": (2805.6, 164.1, 281.334, 1, 308.166),
        "Mt": (2389.9, 130.4, 0.000, 0, 28.831),
        "Mb": (1295.0, 17.3, 0.000, 0, 28.831),
    }
    for name, (abundance, stderr, deviance, df, aic) in expected.items():
        result = table[name]
        assert round(result.abundance, 1) == abundance
        assert round(result.stderr, 1) == stderr
        assert round(result.deviance, 3) == deviance
        assert result.df == df
        assert round(result.aic, 3) == aic
