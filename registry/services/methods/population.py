"""Which population an estimate is of, and estimated users per registered user.

Public interface::

    KEY_POPULATIONS     # {"pwud": label, "pwid": label, "opioid_pwid": label}
    COVERAGE_POPULATION = "opioid_pwid"     # the OST coverage indicator's denominator
    key_population_field(default=None) -> Field   # the ``key_population`` study parameter
    DENOMINATOR = "register_at_period_end"  # what "per registered user" divides by
    per_registered(abundance, ci_low, ci_high, *, registered, on) -> dict  # payload entries
    estimate_row(payload) -> dict          # the CSV columns of both
    RegisteredRatio.of(payload) -> RegisteredRatio | None

**Population.** Every population estimate records which population it is of (its
study's ``key_population``; docs/estimation-jobs.md, "The population an estimate is
of"): all people who use drugs, people who inject drugs, or opioid-dependent people who
inject drugs. OST coverage divides by the last (UNAIDS indicator "Coverage of opioid
substitution therapy"); coverage worked out from an estimate of another population is
shown with a warning.

**Estimated users per registered user** has one definition, :func:`per_registered`: the
estimate divided by the people on the narcological register (an open registration at a
narcological dispensary) on the last day of the study's period in its area
(:func:`registry.services.methods.sources.registered`). It is the count the ministry
dashboard publishes as "registered clients at the end of the period" (``REG_CLIENTS``)
and the "registered users" of official statistics, so the ratio reads the same on the
result page, in the API and on the dashboard (which divides by the count stored with
the approved result).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from registry.schemas.base import code
from registry.services.methods.payload import EstimatingPayload

KEY_POPULATIONS = {
    "pwud": _l("All people who use drugs"),
    "pwid": _l("People who inject drugs"),
    "opioid_pwid": _l("Opioid-dependent people who inject drugs"),
}
#: The denominator of OST coverage (UNAIDS/WHO indicator).
COVERAGE_POPULATION = "opioid_pwid"
#: A study's estimate is of all people who use drugs unless it says otherwise: the
#: registry's own lists hold users of every drug and route.
DEFAULT_POPULATION = "pwud"
#: The denominator of every "estimated users per registered user".
DENOMINATOR = "register_at_period_end"


def key_population_field(default: str | None = None) -> Any:
    """The ``key_population`` parameter: which population the estimate is of."""
    return code(KEY_POPULATIONS, default=default)


def _ratio(value: float | None, registered: int) -> float | None:
    if value is None or not registered:
        return None
    return float(value) / registered


def per_registered(
    abundance: float | None,
    ci_low: float | None,
    ci_high: float | None,
    *,
    registered: int,
    on: date,
) -> dict[str, Any]:
    """The payload entries of the ratio: the count, its date, the ratio and its interval.

    ``registered`` is :func:`registry.services.methods.sources.registered` on ``on`` (the
    last day of the period); without registered people the ratio is ``None``.
    """
    interval = None
    if registered and ci_low is not None and ci_high is not None:
        interval = [_ratio(ci_low, registered), _ratio(ci_high, registered)]
    return {
        "registered_users": int(registered),
        "registered_on": on.isoformat(),
        "per_registered": _ratio(abundance, registered),
        "per_registered_ci": interval,
        "per_registered_denominator": DENOMINATOR,
    }


def estimate_row(payload: EstimatingPayload) -> dict[str, Any]:
    """The CSV columns of the estimate's population and ratio (its denominator named)."""
    keys = ("key_population", "registered_users", "registered_on", "per_registered",
            "per_registered_denominator")  # fmt: skip
    return {key: getattr(payload, key) for key in keys}


@dataclass(frozen=True)
class RegisteredRatio:
    """A payload's estimated users per registered user, with its denominator."""

    ratio: float
    registered: int
    registered_on: str

    @classmethod
    def of(cls, payload: EstimatingPayload) -> RegisteredRatio | None:
        """The ratio of a payload computed by :func:`per_registered` (None otherwise:
        results computed before it divided by other counts)."""
        if payload.per_registered_denominator != DENOMINATOR:
            return None
        if payload.per_registered is None or not payload.registered_users:
            return None
        return cls(payload.per_registered, payload.registered_users, payload.registered_on or "")


__all__ = [
    "COVERAGE_POPULATION",
    "DEFAULT_POPULATION",
    "DENOMINATOR",
    "KEY_POPULATIONS",
    "RegisteredRatio",
    "estimate_row",
    "key_population_field",
    "per_registered",
]
