"""OST coverage and WHO bands (WHO/UNODC/UNAIDS Technical Guide, 2012 revision).

Expected values are own calculations of K / N and K / (N_U, N_L).
"""

import pytest

from estimation.coverage import ost_coverage, who_band


@pytest.mark.parametrize(
    ("coverage", "band"),
    [(0.0, "low"), (0.199, "low"), (0.20, "medium"), (0.40, "medium"), (0.401, "high")],
)
def test_who_band_boundaries(coverage, band):
    assert who_band(coverage) == band


def test_interval_of_the_estimate_is_carried_through():
    # 1,505 clients on OST (Kyrgyzstan 2016, DOMAIN §1) against a hypothetical estimate.
    result = ost_coverage(1505, 25000, 20000, 30000)
    assert result.coverage == pytest.approx(0.0602)
    assert result.conf_int() == pytest.approx((1505 / 30000, 1505 / 20000))
    assert (result.band, result.band_low, result.band_high) == ("low", "low", "low")


def test_uncertain_band_is_reported():
    result = ost_coverage(3000, 10000, 6000, 20000)
    assert (result.band_low, result.band, result.band_high) == ("low", "medium", "high")


def test_upper_bound_above_one_is_capped_and_flagged():
    result = ost_coverage(900, 1000, 800, 1500)
    assert result.ci_high == 1.0 and result.capped


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 100), "non-negative"),
        ((10, 100, 120, 150), "ci_low <= estimate"),
        ((200, 100), "exceed"),
    ],
)
def test_invalid_coverage_inputs(args, message):
    with pytest.raises(ValueError, match=message):
        ost_coverage(*args)


def test_cli(run_json, run_cli):
    out = run_json(
        "coverage",
        "--on-ost",
        "1505",
        "--estimate",
        "25000",
        "--ci-low",
        "20000",
        "--ci-high",
        "30000",
    )
    assert out["coverage"] == pytest.approx(0.0602)
    assert out["band"] == "low"
    code, _, err = run_cli(
        "coverage", "--on-ost", "10", "--estimate", "100", "--ci-low", "200", "--ci-high", "300"
    )
    assert code == 2 and "error:" in err
