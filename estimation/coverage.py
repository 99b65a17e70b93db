"""OST coverage: clients on opioid substitution treatment per estimated opioid-dependent PWID.

Carries the interval of the population estimate through to the coverage and classifies it
in the WHO/UNODC/UNAIDS bands (under 20% low, 20-40% medium, over 40% high).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Coverage", "ost_coverage", "who_band"]

LOW_MEDIUM, MEDIUM_HIGH = 0.20, 0.40


def who_band(coverage: float) -> str:
    """Return the WHO band of a coverage proportion: ``"low"``, ``"medium"`` or ``"high"``.

    Under 0.20 is low, 0.20 to 0.40 (inclusive) medium, over 0.40 high (WHO, UNODC,
    UNAIDS Technical Guide, 2012 revision, indicator OST coverage).
    """
    if coverage < 0:
        raise ValueError(f"coverage must be non-negative, got {coverage!r}")
    if coverage < LOW_MEDIUM:
        return "low"
    return "medium" if coverage <= MEDIUM_HIGH else "high"


@dataclass(frozen=True)
class Coverage:
    """Result of :func:`ost_coverage`.

    Attributes
    ----------
    coverage : float
        :math:`K / \\hat N` as a proportion.
    ci_low, ci_high : float
        :math:`K / N_U` and :math:`\\min(1, K / N_L)`.
    band : str
        WHO band of the point coverage.
    band_low, band_high : str
        WHO bands of the interval bounds; when they differ the band is uncertain.
    on_ost : int
        Clients on OST at the census date, :math:`K`.
    estimate, estimate_low, estimate_high : float
        Population estimate and its interval.
    capped : bool
        True when :math:`K > N_L`, so the upper bound was capped at 1 (the lower
        population bound is then below the number already in treatment).
    """

    coverage: float
    ci_low: float
    ci_high: float
    band: str
    band_low: str
    band_high: str
    on_ost: int
    estimate: float
    estimate_low: float
    estimate_high: float
    capped: bool

    def conf_int(self) -> tuple[float, float]:
        """Return ``(ci_low, ci_high)``."""
        return self.ci_low, self.ci_high

    def summary(self) -> str:
        """One-line human-readable summary."""
        return (
            f"OST coverage {100 * self.coverage:.1f}% ({100 * self.ci_low:.1f}-"
            f"{100 * self.ci_high:.1f}%), WHO band {self.band}"
            + ("" if self.band_low == self.band_high else f" ({self.band_low} to {self.band_high})")
        )


def ost_coverage(
    on_ost: int, estimate: float, ci_low: float | None = None, ci_high: float | None = None
) -> Coverage:
    """OST coverage with the population estimate's interval carried through.

    Parameters
    ----------
    on_ost : int
        Clients on OST at the census date, :math:`K \\ge 0`.
    estimate : float
        Estimated opioid-dependent PWID, :math:`\\hat N > 0`.
    ci_low, ci_high : float, optional
        Interval :math:`(N_L, N_U)` of the estimate; default to the estimate itself.

    Returns
    -------
    Coverage

    Notes
    -----
    Coverage :math:`C = K/\\hat N`; since :math:`C` decreases in :math:`N`, its interval is
    :math:`(K/N_U,\\; K/N_L)`. The number on OST is a census count and taken as exact.

    References
    ----------
    WHO, UNODC, UNAIDS (2012). Technical guide for countries to set targets for universal
    access to HIV prevention, treatment and care for injecting drug users, 2012 revision.

    Examples
    --------
    >>> ost_coverage(1505, 25000, 20000, 30000).band
    'low'
    """
    low = estimate if ci_low is None else ci_low
    high = estimate if ci_high is None else ci_high
    if on_ost < 0:
        raise ValueError(f"clients on OST must be non-negative, got {on_ost!r}")
    if not 0 < low <= estimate <= high:
        raise ValueError(
            f"need 0 < ci_low <= estimate <= ci_high, got {low!r}, {estimate!r}, {high!r}"
        )
    if on_ost > estimate:
        raise ValueError(
            f"{on_ost} clients on OST exceed the estimated population {estimate:,.0f}: "
            "the estimate or the census count is wrong"
        )
    upper = on_ost / low
    return Coverage(
        coverage=on_ost / estimate,
        ci_low=on_ost / high,
        ci_high=min(1.0, upper),
        band=who_band(on_ost / estimate),
        band_low=who_band(on_ost / high),
        band_high=who_band(min(1.0, upper)),
        on_ost=int(on_ost),
        estimate=float(estimate),
        estimate_low=float(low),
        estimate_high=float(high),
        capped=upper > 1.0,
    )
