"""The typed result of a MIM study: its warnings, regional estimates, CSV rows and plot.

The stored JSON is written by :func:`.mim.run` and documented in :mod:`.mim`;
:class:`MimResult` is how every reader reads it (:mod:`.payload`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.estimate_plots import mim_regions
from registry.services.methods import plausibility, population
from registry.services.methods.base import WITHHELD, Estimate
from registry.services.methods.payload import EstimateEntry, EstimatingPayload, row

#: Residual degrees of freedom at or below which a MIM result warns ``few_anchors``.
FEW_ANCHORS_DF = 2


@dataclass(frozen=True)
class MimEstimate(EstimateEntry):
    """The national total; ``published`` False when a region's count is withheld."""

    published: bool | None = None


@dataclass(frozen=True)
class MimResult(EstimatingPayload):
    """A MIM study's national total, each region's estimate, the PCA and the regression."""

    estimate: MimEstimate | None = None
    area: str | None = None
    indicators: tuple[str, ...] = ()
    #: One per region: code, names, estimate, interval, anchor, published, values, scores.
    regions: tuple[Mapping[str, Any], ...] = ()
    anchors: tuple[Mapping[str, Any], ...] = ()
    pca: Mapping[str, Any] = field(default_factory=dict)
    fit: Mapping[str, Any] = field(default_factory=dict)


def warnings(payload: MimResult) -> list[dict[str, Any]]:
    """The estimate's warnings, and ``few_anchors`` when the regression rests on so few
    anchors that a bias they share cannot be seen (docs/validation.md: in Kazakhstan the
    misses came in runs whose three anchors were low together)."""
    out = plausibility.estimate_warnings(payload)
    df = payload.fit.get("df")
    if df is not None and df <= FEW_ANCHORS_DF:
        out.append({"code": "few_anchors", "anchors": len(payload.anchors), "df": df})
    return out


def regional_estimates(payload: Any) -> dict[str, Estimate]:
    """The estimates of the regions that were not anchors (they keep their own); one
    resting on a withheld count is named :data:`WITHHELD` (docs/methods/mim.md,
    "Disclosure")."""
    return {
        r["code"]: Estimate(
            r["estimate"],
            r["ci_low"],
            r["ci_high"],
            "mim" if r.get("published", True) else WITHHELD,
            payload.key_population,
        )  # fmt: skip
        for r in payload.regions
        if not r.get("anchor")
    }


def rows(payload: MimResult) -> list[dict[str, Any]]:
    """CSV rows: the national total, then one per region with its indicators."""
    estimate = row(payload.estimate) if payload.estimate is not None else {}
    total = {"row": "national", "code": payload.area, **estimate,
             **population.estimate_row(payload)}  # fmt: skip
    regional = [
        {"row": "region", **{k: v for k, v in r.items() if k not in ("values", "scores")},
         **{f"indicator:{k}": v for k, v in (r.get("values") or {}).items()}}
        for r in payload.regions
    ]  # fmt: skip
    return [total, *regional]


def plots(payload: MimResult) -> list[str]:
    """Each region's estimate with its interval."""
    return ["regions"] if payload.regions else []


def draw(name: str, payload: MimResult) -> bytes:
    """:func:`plots`'s one plot as PNG."""
    return mim_regions([dict(r) for r in payload.regions])


__all__ = ["MimResult", "draw", "plots", "regional_estimates", "rows", "warnings"]
