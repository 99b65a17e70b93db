"""Published estimates: the latest *approved* estimation result of an area and period.

Public interface::

    ESTIMATE_METHODS = registry.services.methods.ESTIMATING   # methods.<name>.estimates_population
    approved_estimates(periods) -> dict[(area_code, period), Estimate]   # one query

Only results an epidemiologist approved reach ministry outputs. When several methods have
an approved result for the same area and ISO period, the most recently approved wins
(the latest approved result of each method, as
:func:`registry.services.approvals.latest_approved_result` finds it, then the latest of
those that has an estimate). A result that estimates other areas as well (a MIM study:
the regions under its area, ``Method.regional_estimates``) counts as an approved
estimate of each of them, approved when it was. An estimate that would give a withheld
count away is kept as ``withheld`` (the answer shows it as suppressed). An analytics
request reads every area's estimates of its periods at once (a region-level table would
otherwise cost one query per region).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from registry.extensions import db
from registry.models import EstimationResult, OrgUnit, Study
from registry.services.approvals import approved_results
from registry.services.methods import ESTIMATING, METHODS
from registry.services.methods.base import WITHHELD
from registry.services.methods.population import RegisteredRatio

#: The methods whose approved results are published as estimates: one flag per method
#: (``estimates_population``), the same that coverage and projection build on.
ESTIMATE_METHODS = ESTIMATING


@dataclass(frozen=True)
class Estimate:
    """An approved population estimate, with its interval, and where it came from."""

    value: float
    low: float | None
    high: float | None
    result_id: int
    method: str
    #: The people on the narcological register the result divided by (its "per
    #: registered user" denominator, :mod:`registry.services.methods.population`);
    #: None for a result computed before it recorded one.
    registered: int | None = None
    #: Which population the estimate is of (None: not recorded).
    key_population: str | None = None
    #: Approved but not to be published: it would give a withheld count away (a MIM
    #: estimate resting on a suppressed count, docs/methods/mim.md); shown as suppressed.
    withheld: bool = False


def approved_estimates(periods: Iterable[str]) -> dict[tuple[str, str], Estimate]:
    """The estimate of every area with an approved one for the ISO ``periods``."""
    rows = db.session.execute(
        approved_results(OrgUnit.code, Study.period, Study.method, EstimationResult).where(
            Study.method.in_(ESTIMATE_METHODS), Study.period.in_(set(periods))
        )
    )
    latest_of_method: set[tuple[str, str, str]] = set()
    estimates: dict[tuple[str, str], Estimate] = {}
    for code, period, method, result in rows:  # newest approval first
        if (code, period, method) in latest_of_method:
            continue  # an older result of a method: only its latest one counts
        latest_of_method.add((code, period, method))
        payload = METHODS[method].read(result.payload)
        estimate = METHODS[method].estimate(payload)
        if (code, period) not in estimates and estimate is not None:
            ratio = RegisteredRatio.of(payload)
            estimates[(code, period)] = Estimate(
                float(estimate.abundance),
                _number(estimate.ci_low),
                _number(estimate.ci_high),
                result.id,
                method,
                ratio.registered if ratio is not None else None,
                estimate.key_population,
                # a MIM total is withheld when a region's count is (docs/methods/mim.md)
                getattr(payload.estimate, "published", None) is False,
            )
        # A result may estimate other areas too (MIM: the regions under its area); each is
        # published like an estimate of that area approved at the same moment.
        for region, regional in METHODS[method].regional_estimates(payload).items():
            if (region, period) not in estimates:
                estimates[(region, period)] = Estimate(
                    float(regional.abundance), _number(regional.ci_low),
                    _number(regional.ci_high), result.id, method, None,
                    regional.key_population, regional.name == WITHHELD,
                )  # fmt: skip
    return estimates


def _number(value) -> float | None:
    return float(value) if value is not None else None
