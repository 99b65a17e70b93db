"""The typed result of a multiplier study (:mod:`.multiplier`) and its CSV rows.

The stored JSON is documented in :mod:`.multiplier`; :class:`MultiplierResult` is how
every reader reads it (:mod:`.payload`: tolerant of results stored by earlier versions).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from registry.services.methods import population
from registry.services.methods.payload import EstimateEntry, EstimatingPayload, row


@dataclass(frozen=True)
class MultiplierEstimate(EstimateEntry):
    """The multiplier's estimate: one survey's, or pooled over several."""

    pooled: bool | None = None


@dataclass(frozen=True)
class Benchmark:
    """The benchmark count B, and the list it was counted on (None: typed)."""

    ref: str | None = None
    count: int | None = None


@dataclass(frozen=True)
class SurveyEstimate:
    """One survey proportion and the estimate it gives."""

    label: str | None = None
    in_benchmark: int | None = None
    sample_size: int | None = None
    design_effect: float | None = None
    proportion: float | None = None
    abundance: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    se_log: float | None = None


@dataclass(frozen=True)
class Pooling:
    """How two or more survey estimates were pooled on the log scale."""

    q: float | None = None
    df: int | None = None
    p_heterogeneity: float | None = None
    i_squared: float | None = None
    tau_squared: float | None = None
    random_effects: bool = False
    weights: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class Rate:
    """Estimated users per 100,000 population, with its interval."""

    rate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class MultiplierResult(EstimatingPayload):
    """A multiplier study's result (see :mod:`.multiplier`)."""

    estimate: MultiplierEstimate | None = None
    benchmark: Benchmark | None = None
    surveys: tuple[SurveyEstimate, ...] = ()
    pooling: Pooling | None = None
    #: The area's population in the period's year (None: no figures).
    population_count: int | None = None
    rate_per_100k: Rate | None = None

    @classmethod
    def load(cls, data: Any) -> MultiplierResult:
        """The stored JSON (its ``population`` is the area's head count)."""
        loaded = super().load(data)
        count = data.get("population") if isinstance(data, dict) else None
        if isinstance(count, int) and not isinstance(count, bool):
            return replace(loaded, population_count=count)
        return loaded


def rows(payload: MultiplierResult) -> list[dict[str, Any]]:
    """CSV rows: the estimate (with the rate and ratio), then one per survey."""
    benchmark = payload.benchmark or Benchmark()
    rate = payload.rate_per_100k or Rate()
    estimate = {"row": "estimate", **row(payload.estimate or MultiplierEstimate()),
                "benchmark": benchmark.count, **population.estimate_row(payload),
                "rate_per_100k": rate.rate}  # fmt: skip
    return [estimate, *({"row": "survey", **row(s)} for s in payload.surveys)]


def plotted(payload: MultiplierResult) -> dict[str, Any]:
    """The plot's arguments: each survey's estimate, the pooled one, the register."""
    return {
        "surveys": [row(s) for s in payload.surveys],
        "estimate": row(payload.estimate) if payload.estimate else None,
        "pooled": payload.pooling is not None,
        "registered": payload.registered_users,
    }


__all__ = ["MultiplierResult", "plotted", "rows"]
