"""Published capture-recapture data used in examples and tests."""

from __future__ import annotations

from estimation.capture_recapture.histories import CaptureHistories

__all__ = ["rome_hiv"]


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
