"""Bootstrap intervals with model selection repeated in every replicate.

Each replicate redraws the observed cells from a multinomial distribution — with the
observed proportions (``resample="observed"``, the default) or with the cell probabilities
of the model selected on the data, the dark figure included (``resample="fitted"``) — then
repeats the whole selection (AIC or BIC over the same candidate models, or one fixed model)
and keeps the abundance of the selected model. The interval is the ``alpha/2`` and
``1 - alpha/2`` percentiles of the replicates (or the BCa interval with the jackknife
acceleration, as SparseMSE's ``estimatepopulation``), so it carries the model-selection
uncertainty that a single model's interval ignores. The replicates are fitted in
vectorised batches (at most :data:`BATCH_REPLICATES` tables, and a bounded number of
fits, at a time); a ``progress`` callback runs before the first batch and after each, so a
caller can report progress or stop a long bootstrap between batches by raising.

References
----------
DiCiccio, T. J. & Efron, B. (1996). Bootstrap confidence intervals. Statistical Science
11, 189-228.
Buckland, S. T., Burnham, K. P. & Augustin, N. H. (1997). Model selection: an integral part
of inference. Biometrics 53, 603-618.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from estimation.capture_recapture.candidates import (
    SearchDesign,
    check_order,
    enumerate_models,
    search_design,
)
from estimation.capture_recapture.design import parse_model
from estimation.capture_recapture.histories import CaptureHistories
from estimation.capture_recapture.search import CHUNK_ELEMENTS, fit_masks, results_from_batch
from estimation.capture_recapture.selection import select_best

__all__ = ["BATCH_REPLICATES", "BootstrapResult", "Progress", "bootstrap"]

#: Most replicates fitted between two calls of ``progress`` (fewer when each replicate
#: fits many models: see :func:`_select_in_batches`).
BATCH_REPLICATES = 10_000
#: Fewest replicates in a batch (5 lists: about 0.5-1 s of fits).
MIN_BATCH = 8
#: Models fitted first in every replicate: the best ones on the data, in that order.
LEADERS = 16
#: Replicates between two calls of ``progress`` in the stepwise bootstrap (about 1 s).
STEPWISE_BATCH = 50

#: ``progress(done, total)``: replicates fitted so far and in all.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap distribution of the abundance.

    Attributes
    ----------
    abundance : float
        Estimate on the original data (selected model).
    model : str
        Model selected on the original data.
    replicates : ndarray
        Abundance of each replicate (``nan`` when no candidate model could be fitted).
    selected : dict of str to int
        How often each model was selected across replicates.
    acceleration : float
        BCa acceleration ``a`` from the jackknife (``nan`` if a jackknife fit failed).
    """

    abundance: float
    model: str
    replicates: np.ndarray = field(repr=False)
    selected: dict[str, int] = field(repr=False)
    acceleration: float = field(default=0.0, repr=False)

    @property
    def failures(self) -> int:
        """Replicates where no model could be fitted."""
        return int(np.isnan(self.replicates).sum())

    @property
    def stderr(self) -> float:
        """Standard deviation of the replicates."""
        return float(np.nanstd(self.replicates, ddof=1))

    def conf_int(self, alpha: float = 0.05, method: str = "percentile") -> tuple[float, float]:
        """Bootstrap interval.

        ``"percentile"``: the ``alpha/2`` and ``1 - alpha/2`` quantiles of the replicates.
        ``"bca"``: bias-corrected and accelerated (DiCiccio & Efron 1996), as SparseMSE's
        ``estimatepopulation``: the quantiles ``Φ(z0 + (z0 + z) / (1 - a (z0 + z)))`` with
        ``z0 = Φ⁻¹(share of replicates below the estimate)`` and the jackknife ``a``.
        """
        if not 0 < alpha < 1:
            raise ValueError("alpha must be between 0 and 1")
        values = self.replicates[np.isfinite(self.replicates)]
        if values.size == 0:
            return float("nan"), float("nan")
        levels = np.array([alpha / 2, 1 - alpha / 2])
        if method == "bca":
            if not math.isfinite(self.acceleration):
                return float("nan"), float("nan")
            share = np.mean(values < self.abundance)
            if not 0 < share < 1:
                return float("nan"), float("nan")
            from scipy.stats import norm

            z0 = norm.ppf(share)
            z = z0 + norm.ppf(levels)
            levels = norm.cdf(z0 + z / (1 - self.acceleration * z))
        elif method != "percentile":
            raise ValueError(f"unknown bootstrap interval {method!r}: use percentile or bca")
        low, high = np.quantile(values, levels, method="median_unbiased")
        return float(low), float(high)


def _candidates(histories: CaptureHistories, model: str | None, max_order: int | None):
    k = histories.n_lists
    if model is not None:
        if model == "Mt":
            model = "[" + ",".join(str(i + 1) for i in range(k)) + "]"
        if not model.lstrip().startswith("["):
            raise ValueError(
                f"the bootstrap takes a hierarchical model such as [12,3,4] or Mt, not {model!r}"
            )
        terms = tuple(t for t in parse_model(model, k) if len(t) > 1)
        order = max([len(t) for t in terms] + [1])
        from estimation.capture_recapture.design import hierarchical_terms

        closed = tuple(t for t in hierarchical_terms(terms) if len(t) > 1)
        return [closed], max(order, 2) if k > 2 else 1
    order = check_order(k, max_order)
    return enumerate_models(k, order), order


def bootstrap(
    histories: CaptureHistories,
    *,
    rng: np.random.Generator,
    replicates: int = 1000,
    criterion: str = "bic",
    model: str | None = None,
    max_order: int | None = None,
    resample: str = "observed",
    stepwise: bool = False,
    progress: Progress | None = None,
) -> BootstrapResult:
    """Bootstrap the abundance, repeating model selection in every replicate.

    Parameters
    ----------
    histories : CaptureHistories
    rng : numpy.random.Generator
        Seeded generator, e.g. ``numpy.random.default_rng(42)``.
    replicates : int
        Number of bootstrap samples.
    criterion : {"bic", "aic"}
        Selection criterion over all hierarchical models (ignored when ``model`` is given).
    model : str, optional
        A fixed hierarchical model (``"[12,3,4]"``) instead of a search.
    max_order : int, optional
        Highest interaction order of the candidate models.
    resample : {"observed", "fitted"}
        Multinomial cell probabilities: observed proportions, or the selected model's fit.
    stepwise : bool
        Select by SparseMSE's stepwise procedure instead of a search (observed-proportion
        resampling only; replicates are fitted one by one, so allow about 20 ms each).
    progress : callable, optional
        ``progress(done, total)`` is called with ``done = 0`` once the replicate tables are
        drawn, then after each batch of replicates (``done = total`` after the last). An
        exception it raises stops the bootstrap and propagates (a job's cancellation).

    Returns
    -------
    BootstrapResult
    """
    if replicates < 2:
        raise ValueError("replicates must be at least 2")
    if criterion not in ("aic", "bic"):
        raise ValueError(f"criterion must be 'aic' or 'bic', got {criterion!r}")
    if resample not in ("observed", "fitted"):
        raise ValueError("resample must be 'observed' or 'fitted'")
    if stepwise:
        if resample != "observed" or model is not None:
            raise ValueError("the stepwise bootstrap resamples observed cells, with no model")
        return _stepwise_bootstrap(histories, rng, replicates, progress)
    models, order = _candidates(histories, model, max_order)
    design = search_design(histories, models, order)
    fit = fit_masks(design.X, histories.counts, design.masks)
    results = results_from_batch(histories, design, fit)
    values = np.array([getattr(r, criterion) if r.usable else np.inf for r in results])
    if not np.isfinite(values).any():
        raise ValueError("no candidate model could be fitted to the data")
    chosen = int(np.argmin(values))
    n = histories.observed
    if resample == "observed":
        draws = rng.multinomial(n, histories.counts / n, size=replicates)
    else:
        mu = np.exp(design.X[:, design.masks[chosen]] @ fit.coef[chosen, design.masks[chosen]])
        dark = results[chosen].abundance - n
        probabilities = np.append(mu, dark) / (mu.sum() + dark)
        size = int(round(results[chosen].abundance))
        draws = rng.multinomial(size, probabilities, size=replicates)[:, :-1]
    # the best models on the data are fitted first in every replicate (selection.py)
    leaders = np.argsort(values)[: min(LEADERS, int(np.isfinite(values).sum()))]
    estimates, best = _select_in_batches(design, draws, criterion, leaders, progress)
    found = np.isfinite(estimates)
    names, counts = np.unique(np.array(design.names)[best[found]], return_counts=True)
    acceleration = _jackknife_acceleration(design, histories.counts, criterion, leaders)
    return BootstrapResult(
        abundance=results[chosen].abundance if math.isfinite(values[chosen]) else float("nan"),
        model=design.names[chosen],
        replicates=estimates,
        selected=dict(zip(names.tolist(), counts.tolist(), strict=True)),
        acceleration=acceleration,
    )


def _stepwise_bootstrap(
    histories: CaptureHistories,
    rng: np.random.Generator,
    replicates: int,
    progress: Progress | None = None,
) -> BootstrapResult:
    """SparseMSE's ``estimatepopulation``: stepwise selection in every replicate."""
    from estimation.capture_recapture.stepwise import stepwise as select

    def estimate(counts: np.ndarray) -> tuple[float, str]:
        try:
            result = select(histories.with_counts(counts)).model
        except ValueError:  # a list that captured nobody in this replicate
            return float("nan"), ""
        return (result.abundance, result.name) if result.usable else (float("nan"), "")

    original, name = estimate(histories.counts)
    n = histories.observed
    draws = rng.multinomial(n, histories.counts / n, size=replicates)
    outcomes = []
    for first in range(0, replicates, STEPWISE_BATCH):
        if progress is not None:
            progress(first, replicates)
        outcomes.extend(estimate(draw) for draw in draws[first : first + STEPWISE_BATCH])
    if progress is not None:
        progress(replicates, replicates)
    estimates = np.array([value for value, _ in outcomes])
    names, counts = np.unique([m for _, m in outcomes if m], return_counts=True)
    cells = np.flatnonzero(histories.counts > 0)
    jackknife = []
    for cell in cells:
        table = histories.counts.copy()
        table[cell] -= 1
        jackknife.append(estimate(table)[0])
    return BootstrapResult(
        abundance=original,
        model=name,
        replicates=estimates,
        selected=dict(zip(names.tolist(), counts.tolist(), strict=True)),
        acceleration=_acceleration(np.array(jackknife), histories.counts[cells]),
    )


def _acceleration(estimates: np.ndarray, weights: np.ndarray) -> float:
    """Jackknife acceleration with each cell's estimate weighted by its count."""
    weights = weights.astype(float)
    if not np.all(np.isfinite(estimates)):
        return float("nan")
    residuals = weights @ estimates / weights.sum() - estimates
    spread = (weights @ residuals**2) ** 1.5
    return float(weights @ residuals**3 / (6 * spread)) if spread > 0 else 0.0


def _select_in_batches(
    design: SearchDesign,
    draws: np.ndarray,
    criterion: str,
    leaders: np.ndarray,
    progress: Progress | None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~.selection.select_best` over ``draws`` in batches, calling ``progress``
    between them.

    Each table is fitted on its own (the fits of one table do not depend on the others in
    its batch), so the batch size does not change the figures.
    """
    total = len(draws)
    # a batch is one chunk of fits if every candidate were fitted (4 lists: 157
    # replicates, well under a second), so progress and a job's cancellation come soon;
    # at least MIN_BATCH (5 lists: a chunk is not one replicate, and the pruning of
    # selection.py fits a tenth of the candidates)
    per_table = len(design.masks) * design.X.shape[1] ** 2
    size = min(BATCH_REPLICATES, max(MIN_BATCH, CHUNK_ELEMENTS // per_table))
    estimates, best = np.empty(total), np.empty(total, dtype=np.intp)
    for first in range(0, total, size):
        if progress is not None:
            progress(first, total)
        part = slice(first, first + size)
        estimates[part], best[part] = select_best(design, draws[part], criterion, leaders)
    if progress is not None:
        progress(total, total)
    return estimates, best


def _jackknife_acceleration(
    design: SearchDesign, counts: np.ndarray, criterion: str, leaders: np.ndarray
) -> float:
    """BCa acceleration from the grouped jackknife (one person fewer in each observed cell),
    as SparseMSE's ``estimatepopulation``."""
    cells = np.flatnonzero(counts > 0)
    tables = np.repeat(counts[None, :], len(cells), axis=0)
    tables[np.arange(len(cells)), cells] -= 1
    estimates, _ = select_best(design, tables, criterion, leaders)
    return _acceleration(estimates, counts[cells])
