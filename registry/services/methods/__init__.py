"""Estimation methods: one module per method, each with the same members.

Public interface::

    METHODS: dict[str, Method]      # "capture_recapture", "count_estimators", "hiv_trend",
                                    # "multiplier", "retention", "coverage", "projection",
                                    # "synthesis"
    method(name) -> Method          # KeyError for an unknown name
    ESTIMATING = (names whose result is a population estimate)

Each module (:mod:`.capture_recapture`, :mod:`.count_estimators`, :mod:`.hiv_trend`,
:mod:`.multiplier`, :mod:`.retention`, :mod:`.coverage`, :mod:`.projection`,
:mod:`.synthesis`) defines
``Parameters`` (its marshmallow schema: the only source of its defaults), ``check``,
``run``, its typed result payload (a :class:`~.payload.Payload` dataclass: readers get
``METHOD.read(stored JSON)``, never the JSON), ``rows`` and ``METHOD``
(:class:`~.base.Method`, which also names its template partials, plots and flags).
Adding a method is one module here, listed below, and its two template partials
(docs/estimation-jobs.md, "Adding a method").
"""

from __future__ import annotations

from registry.services.methods import (
    capture_recapture,
    count_estimators,
    coverage,
    hiv_trend,
    mim,
    multiplier,
    projection,
    retention,
    synthesis,
)
from registry.services.methods.base import Computed, Estimate, Method

#: Every method, in the order the new-study form offers them.
METHODS: dict[str, Method] = {
    module.METHOD.name: module.METHOD
    for module in (
        capture_recapture,
        count_estimators,
        multiplier,
        hiv_trend,
        retention,
        coverage,
        projection,
        synthesis,
        mim,
    )
}
#: The methods whose result is a population estimate (coverage, projection and synthesis
#: build on them; the ministry dashboard publishes them).
ESTIMATING = tuple(name for name, m in METHODS.items() if m.estimates_population)


def method(name: str) -> Method:
    """The method called ``name`` (``KeyError`` if there is none)."""
    return METHODS[name]


__all__ = ["ESTIMATING", "METHODS", "Computed", "Estimate", "Method", "method"]
