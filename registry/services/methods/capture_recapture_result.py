"""The typed result of a capture-recapture study, its CSV rows and plots.

The stored JSON is written by :mod:`.capture_recapture_payload` and documented in
:mod:`.capture_recapture`; :class:`CaptureRecaptureResult` is how every reader reads it
(:mod:`.payload`: tolerant of results stored by earlier versions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _

from registry import plots as drawing
from registry.services.methods import population
from registry.services.methods.model_names import linkage_names
from registry.services.methods.payload import EstimateEntry, EstimatingPayload, row


@dataclass(frozen=True)
class ModelRow(EstimateEntry):
    """A fitted log-linear model (``LoglinearResult.to_dict``), or the chosen estimate."""

    #: A model average's criterion and how many models it averaged.
    criterion: str | None = None
    models: int | None = None
    deviance: float | None = None
    df: int | None = None
    aic: float | None = None
    bic: float | None = None
    fit_ok: bool | None = None
    info_fit: str | None = None
    warnings: tuple[Any, ...] = ()
    #: Its weight in a model average (0: left out).
    weight: float | None = None
    #: A Bayesian analysis's posterior median, mean and mode (:mod:`.capture_recapture_bayes`).
    median: float | None = None
    mean: float | None = None
    mode: float | None = None


@dataclass(frozen=True)
class Bootstrap:
    """The bootstrap's replicates and percentile interval."""

    seed: int | None = None
    replicates: int | None = None
    values: tuple[float | None, ...] = ()
    selected: dict[str, int] = field(default_factory=dict)
    ci_low: float | None = None
    ci_high: float | None = None
    method: str | None = None


@dataclass(frozen=True)
class NestedList:
    """A list (nearly) contained in another (:mod:`.capture_recapture_checks`)."""

    #: The contained list and the list that holds it (the histories' names).
    list: str | None = None
    within: str | None = None
    #: The share of ``list``'s people also on ``within``; None when withheld (protected).
    share: float | None = None
    #: Every person of ``list`` is on ``within``; the two hold (nearly) the same people.
    exact: bool | None = None
    mutual: bool | None = None


@dataclass(frozen=True)
class CaptureRecaptureResult(EstimatingPayload):
    """A capture-recapture study's result (see :mod:`.capture_recapture`)."""

    analysis: str | None = None
    lists: tuple[str, ...] = ()
    estimate: ModelRow | None = None
    models: tuple[ModelRow, ...] = ()
    bootstrap: Bootstrap | None = None
    #: Stepwise selection: ``(pair, p-value)`` per step.
    steps: tuple[tuple[Any, ...], ...] = ()
    strata: dict[str, ModelRow] = field(default_factory=dict)
    #: The protected linkage report (counts only), as the linkage page shows it.
    linkage: Mapping[str, Any] | None = None
    #: A Bayesian analysis's posterior: graph weights, diagnostics, its own warnings.
    posterior: Mapping[str, Any] | None = None
    #: The heterogeneity check against the analysis's models (``diagnostics``).
    heterogeneity: Mapping[str, Any] | None = None
    #: The default average's choice of criterion and why (``reason``, both averages).
    selection: Mapping[str, Any] | None = None
    #: With three lists, the average's weight on models of at most one residual df.
    saturated_weight: float | None = None
    #: Lists (nearly) contained in another; empty also for results computed before.
    nested_lists: tuple[NestedList, ...] = ()


def rows(payload: CaptureRecaptureResult) -> list[dict[str, Any]]:
    """CSV rows: the chosen estimate, each nested list (its warning in the request's
    language), then each model, each stratum, each graph (dga)."""
    names = linkage_names(payload.linkage or {})
    chosen = {"row": "estimate", **row(payload.estimate or ModelRow()),
              **population.estimate_row(payload)}  # fmt: skip
    others = [{"row": "model", **row(m)} for m in payload.models]
    strata = [{"row": f"stratum {k}", **row(v)} for k, v in payload.strata.items()]
    graphs = [
        {"row": "graph", "name": g["graph"], "weight": g["weight"]}
        for g in (payload.posterior or {}).get("graphs", [])
    ]
    nested = [
        {"row": "nested_list", "name": f"{n.list} ⊂ {n.within}", "share": n.share,
         "exact": n.exact, "mutual": n.mutual, "message": nested_message(n, names)}
        for n in payload.nested_lists
    ]  # fmt: skip
    return [chosen, *nested, *others, *strata, *graphs]


def nested_message(pair: NestedList, names: Mapping[str, str]) -> str:
    """The nested-lists warning as a sentence in the request's language (page and CSV)."""
    a = names.get(str(pair.list), str(pair.list))
    b = names.get(str(pair.within), str(pair.within))
    if pair.mutual:
        head = _("The lists “%(a)s” and “%(b)s” hold (nearly) the same people: the same "
                 "source entered twice?", a=a, b=b)  # fmt: skip
    elif pair.exact:
        head = _("Every person on the list “%(a)s” is also on “%(b)s”: the first list lies "
                 "inside the second.", a=a, b=b)  # fmt: skip
    elif pair.share is not None:
        head = _("%(share)s%% of the people on the list “%(a)s” are also on “%(b)s”: the "
                 "first list lies (nearly) inside the second.",
                 share=format_decimal(100 * pair.share, "0.#", locale=get_locale()),
                 a=a, b=b)  # fmt: skip
    else:
        head = _("All but a few of the people on the list “%(a)s” are also on “%(b)s” (too "
                 "few to show): the first list lies (nearly) inside the second.",
                 a=a, b=b)  # fmt: skip
    return (
        head
        + " "
        + _(
            "Capture-recapture learns about the people no list caught from the people one list "
            "caught and another missed; here that group is (nearly) empty by construction, so "
            "every analysis extrapolates from a structural zero and the estimate means little, "
            "whatever its interval. Leave “%(a)s” out of the study, or merge the two lists.",
            a=a,
        )
    )


def plots(payload: CaptureRecaptureResult) -> list[str]:
    """The model comparison (with a model table) and the bootstrap distribution."""
    names = ["models"] if payload.models else []
    if payload.bootstrap is not None and payload.bootstrap.values:
        names.append("bootstrap")
    return names


def draw(name: str, payload: CaptureRecaptureResult) -> bytes:
    """One of :func:`plots` as PNG."""
    estimate = payload.estimate or ModelRow()
    if name == "models":
        models = [row(m) for m in payload.models]
        if payload.analysis == "average":
            return drawing.model_comparison(models, average=row(estimate))
        return drawing.model_comparison(models, chosen=estimate.name)
    boot = payload.bootstrap or Bootstrap()
    return drawing.bootstrap_distribution(list(boot.values), estimate=estimate.abundance,
                                          ci_low=boot.ci_low, ci_high=boot.ci_high)  # fmt: skip


__all__ = [
    "CaptureRecaptureResult",
    "ModelRow",
    "NestedList",
    "draw",
    "nested_message",
    "plots",
    "rows",
]
