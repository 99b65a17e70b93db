"""Published capture-recapture data used in examples and tests."""

from __future__ import annotations

from estimation.capture_recapture.histories import CaptureHistories

__all__ = ["rome_hiv", "scotland_pwid"]


def rome_hiv() -> CaptureHistories:
    """Injecting drug users with HIV in Rome, 1990, on four lists (1,896 people).

    Lists: HIV testing sites, drug treatment centres, hospital discharges and the AIDS
    register (as in Rcapture's dataset ``HIV``, columns ``c1``-``c4``).

    References
    ----------
    Abeni, D. D., Brancato, G. & Perucci, C. A. (1994). Capture-recapture to estimate the
    size of the population with human immunodeficiency virus type 1 infection.
    Epidemiology 5, 410-414.
    """
    return CaptureHistories.from_frequencies(
        ["c1", "c2", "c3", "c4"],
        {
            "1110": 3, "1101": 1, "1100": 33, "1010": 20, "1001": 6, "1000": 403,
            "0111": 3, "0110": 35, "0101": 10, "0100": 545, "0011": 11, "0010": 621,
            "0001": 205,
        },
    )  # fmt: skip


def scotland_pwid() -> CaptureHistories:
    """People who inject drugs in Scotland, 2006, on four lists (5,670 people).

    Lists: social enquiry reports (``S1``), hospital records (``S2``), the Scottish drug
    misuse database (``S3``) and Hepatitis C diagnoses (``S4``): R package conting's
    ``ScotPWID`` summed over region, sex and age group. King et al. (2013) estimated 31,700
    current injectors (95% credible interval 24,900 to 38,700) from these lists with those
    covariates; Overstall et al. (2014) also treat the HCV-only count as an upper bound,
    since HCV diagnoses include past injectors.

    References
    ----------
    King, R., Bird, S. M., Overstall, A. M., Hay, G. & Hutchinson, S. J. (2013). Injecting
    drug users in Scotland, 2006: listing, number, demography, and opiate-related
    death-rates. Addiction Research and Theory 21, 235-246.

    Overstall, A. M., King, R., Bird, S. M., Hutchinson, S. J. & Hay, G. (2014). Incomplete
    contingency tables with censored cells with application to estimating the number of
    people who inject drugs in Scotland. Statistics in Medicine 33, 1564-1579.
    """
    return CaptureHistories.from_frequencies(
        ["S1", "S2", "S3", "S4"],
        {
            "1000": 654, "0100": 751, "1100": 19, "0010": 3092, "1010": 198, "0110": 121,
            "1110": 8, "0001": 684, "1001": 13, "0101": 43, "1101": 2, "0011": 69,
            "1011": 7, "0111": 9, "1111": 0,
        },
    )  # fmt: skip
