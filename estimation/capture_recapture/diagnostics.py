"""Warnings on a capture-recapture analysis that its interval does not carry.

* :func:`heavy_saturated_weight`: the share of a model average's weight on models with
  at most :data:`SATURATED_DF` residual degree of freedom. With three lists these are
  the models with two or three pairwise interactions; they extrapolate the dark figure
  from one or no degree of freedom, and when they carry most of the weight the average
  can be far off (docs/validation.md, scenario ``negative`` with three lists).
* :func:`without_saturated`: a model table without those models.
"""

from __future__ import annotations

import dataclasses

from estimation.capture_recapture.averaging import AveragedEstimate
from estimation.capture_recapture.results import ModelTable

__all__ = ["SATURATED_DF", "heavy_saturated_weight", "without_saturated"]

#: Models with this many residual degrees of freedom or fewer count as near-saturated.
SATURATED_DF = 1


def heavy_saturated_weight(table: ModelTable, averaged: AveragedEstimate) -> float:
    """Total weight of the average on models with at most :data:`SATURATED_DF` df."""
    df = {r.name: r.df for r in table.results}
    return float(sum(w for name, w in averaged.weights.items() if df[name] <= SATURATED_DF))


def without_saturated(table: ModelTable) -> ModelTable:
    """``table`` without its models of at most :data:`SATURATED_DF` residual df."""
    kept = tuple(r for r in table.results if r.df > SATURATED_DF)
    return dataclasses.replace(table, results=kept)
