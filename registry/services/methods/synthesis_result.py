"""The typed result of a synthesis study, its warnings, CSV rows and plot.

The stored JSON is written by :func:`.synthesis.run` and documented in :mod:`.synthesis`;
:class:`SynthesisResult` is how every reader reads it (:mod:`.payload`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.estimate_plots import synthesis_forest
from registry.services.methods import plausibility
from registry.services.methods.payload import EstimatingPayload, row
from registry.services.methods.population import estimate_row


@dataclass(frozen=True)
class SynthesisResult(EstimatingPayload):
    """A synthesis's consensus, its heterogeneity and every input with its influence."""

    #: tau's prior scale and posterior, Cochran's Q, and the consensus if tau were 0.
    consensus: Mapping[str, Any] = field(default_factory=dict)
    #: One row per input: job, study, title, method, estimate, interval, weight, influence.
    inputs: tuple[Mapping[str, Any], ...] = ()
    #: Pairs of input jobs whose intervals do not overlap.
    disjoint: tuple[tuple[int, ...], ...] = ()
    #: Cochran's Q p-value below 0.10.
    heterogeneous: bool = False


def warnings(payload: SynthesisResult) -> list[dict[str, Any]]:
    """The estimate's plausibility warnings, then the inputs' disagreement and approval."""
    out = plausibility.estimate_warnings(payload)
    if payload.disjoint:
        out.append({"code": "synthesis_disjoint", "pairs": [list(p) for p in payload.disjoint]})
    if payload.heterogeneous:
        out.append({"code": "synthesis_heterogeneity",
                    "p": payload.consensus.get("p_heterogeneity"),
                    "i_squared": payload.consensus.get("i_squared")})  # fmt: skip
    unapproved = [entry["job"] for entry in payload.inputs if not entry.get("approved")]
    if unapproved:
        out.append({"code": "synthesis_unapproved", "jobs": unapproved})
    return out


def rows(payload: SynthesisResult) -> list[dict[str, Any]]:
    """CSV rows: the consensus (with its heterogeneity and its tau = 0 value), then one per
    input."""
    consensus = payload.consensus
    heterogeneity = {k: v for k, v in consensus.items() if k != "tau_zero"}
    tau_zero = {f"tau_zero_{k}": v for k, v in (consensus.get("tau_zero") or {}).items()}
    estimate = row(payload.estimate) if payload.estimate is not None else {}
    first = {"row": "consensus", **estimate, **heterogeneity, **tau_zero,
             **estimate_row(payload)}  # fmt: skip
    return [first, *({"row": "input", **entry} for entry in payload.inputs)]


def plots(payload: SynthesisResult) -> list[str]:
    """The forest plot of the inputs and the consensus."""
    return ["inputs"] if payload.inputs else []


def draw(name: str, payload: SynthesisResult) -> bytes:
    """:func:`plots`'s one plot as PNG."""
    estimate = row(payload.estimate) if payload.estimate is not None else {}
    return synthesis_forest([dict(entry) for entry in payload.inputs], estimate)


__all__ = ["SynthesisResult", "draw", "plots", "rows", "warnings"]
