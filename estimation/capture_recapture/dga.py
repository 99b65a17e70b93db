"""Bayesian model averaging over decomposable graphical models (dga; Madigan & York 1997).

The complete ``2**k`` table of capture histories has one unknown cell, the number of people
on no list, ``x = N - n``. For each decomposable graph ``G`` of the lists
(:mod:`~estimation.capture_recapture.decomposable`) and each ``x`` on a grid, the joint
posterior is

.. math::

    p(G, x \\mid n) \\propto p(G)\\, p(N)\\, \\frac{N!}{x! \\prod_h n_h!}\\,
        \\frac{\\prod_C \\Lambda_C(x)}{\\prod_S \\Lambda_S(x)},

with a uniform prior on the graphs, dga's prior ``p(N) \\propto 1/N`` on ``N = n + x`` and,
for every marginal table ``A`` (a clique or separator, ``2^{|A|}`` cells with counts ``m_c``,
the all-absent cell holding ``x`` plus the observed people on no list of ``A``), the
Dirichlet-multinomial marginal likelihood under the hyper-Dirichlet prior with ``delta``
per cell of the full table (so ``a_A = delta 2^{k-|A|}`` per marginal cell):

.. math::

    \\log \\Lambda_A(x) = \\log\\Gamma(2^k \\delta) - \\log\\Gamma(N + 2^k \\delta)
        + \\sum_c [\\log\\Gamma(m_c + a_A) - \\log\\Gamma(a_A)].

The posterior is exact on the grid (no sampling). Summing over graphs gives the posterior of
N; summing over the grid gives each graph's posterior weight.

References
----------
Madigan, D. & York, J. C. (1997). Bayesian methods for estimation of the size of a closed
population. Biometrika 84, 19-31.

Dawid, A. P. & Lauritzen, S. L. (1993). Hyper Markov laws in the statistical analysis of
decomposable graphical models. Annals of Statistics 21, 1272-1317.

Johndrow, J., Lum, K. & Ball, P. (2021). dga: Capture-Recapture Estimation using Bayesian
Model Averaging. R package version 2.0 (the reference this module is compared against).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import gammaln, logsumexp

from estimation.capture_recapture.decomposable import (
    Graph,
    check_dga_lists,
    decomposable_graphs,
    factor_matrix,
)
from estimation.capture_recapture.dga_grid import (
    EDGE_MASS,
    EDGE_SHARE,
    MAX_POINTS,
    UPPER_FACTOR,
    check_grid,
    choose_grid,
    edge_mass,
)
from estimation.capture_recapture.histories import CaptureHistories, history_patterns
from estimation.capture_recapture.posterior import BayesWarning, PosteriorSize

__all__ = ["dga", "log_posterior_table", "negative_binomial_log_prior"]

LogPrior = Callable[[np.ndarray], np.ndarray]

SHOWN_WEIGHT = 1e-4  # graphs below this posterior weight are left out of the details
#: Posterior weight on the complete graph (every list linked to every other) above which
#: dga warns ``saturated_graph``: that graph leaves the number missing unidentified.
SATURATED_WEIGHT = 0.5
_CHUNK_CELLS = 2_000_000  # graph x grid values evaluated at once


def dga_log_prior(total: np.ndarray) -> np.ndarray:
    """dga's default log prior: ``-log N`` for ``N = observed + missing``.

    dga's manual says the default is ``-log(Nmissing)``, but its ``bma.cr`` computes
    ``-log(sum(Y) + Nmissing)`` (versions 1.2 and 2.0): the ``1/N`` prior, finite at
    ``N_missing = 0``. This follows the code, so the figures agree with dga's.
    """
    return -np.log(total)


def negative_binomial_log_prior(shape: float, scale: float) -> LogPrior:
    """The negative-binomial prior of N used by Madigan & York (1997), mean ``shape*scale``.

    ``log p(N) = N log b - (N + a) log(1 + b) + log Γ(N + a) - log Γ(N + 1) - log Γ(a)``.
    """
    if not (shape > 0 and scale > 0):
        raise ValueError("the negative-binomial prior needs a positive shape and scale")

    def log_prior(total: np.ndarray) -> np.ndarray:
        total = np.asarray(total, dtype=float)
        return (
            total * np.log(scale)
            - (total + shape) * np.log1p(scale)
            + gammaln(total + shape)
            - gammaln(total + 1)
            - gammaln(shape)
        )

    return log_prior


def _full_table(histories: CaptureHistories) -> np.ndarray:
    """Counts indexed by the bit mask of lists (bit j = list j + 1); cell 0 unobserved."""
    k = histories.n_lists
    masks = history_patterns(k) @ (1 << np.arange(k))
    table = np.zeros(2**k)
    table[masks] = histories.counts
    return table


def _subset_log_likelihoods(table: np.ndarray, delta: float, missing: np.ndarray) -> np.ndarray:
    """``log Λ_A(x)`` for every subset mask A (rows; row 0 is the empty set, 0) and x."""
    size = table.size
    k = size.bit_length() - 1
    observed = table.sum()
    cells = np.arange(size)
    total_prior = size * delta
    common = gammaln(total_prior) - gammaln(observed + missing + total_prior)
    rows = np.zeros((size, missing.size))
    for mask in range(1, size):
        order = mask.bit_count()
        a = delta * 2 ** (k - order)
        margin = np.bincount(cells & mask, weights=table, minlength=size)
        margin = margin[(cells & ~mask) == 0]  # the 2**|A| cells of the margin
        fixed = gammaln(margin[1:] + a).sum() - margin.size * gammaln(a)
        rows[mask] = common + fixed + gammaln(margin[0] + missing + a)
    return rows


def log_posterior_table(
    histories: CaptureHistories,
    n_missing: Sequence[float],
    *,
    delta: float | None = None,
    log_prior: LogPrior | None = None,
) -> tuple[tuple[Graph, ...], np.ndarray]:
    """The unnormalised joint log posterior of each graph (rows) and number missing (columns).

    dga's ``bma.cr`` before normalisation, on the grid ``n_missing`` given as is.
    """
    k = histories.n_lists
    check_dga_lists(k)
    delta = _check_delta(delta, k)
    missing = check_grid(n_missing)
    table = _full_table(histories)
    observed = float(histories.observed)
    subsets = _subset_log_likelihoods(table, delta, missing)
    total = observed + missing
    prior = (log_prior or dga_log_prior)(total)
    base = gammaln(total + 1) - gammaln(missing + 1) - gammaln(table[1:] + 1).sum() + prior
    return decomposable_graphs(k), factor_matrix(k) @ subsets + base


def dga(
    histories: CaptureHistories,
    *,
    delta: float | None = None,
    alpha: float = 0.05,
    n_missing: Sequence[float] | None = None,
    log_prior: LogPrior | None = None,
    upper_factor: float = UPPER_FACTOR,
    max_points: int = MAX_POINTS,
) -> PosteriorSize:
    """Posterior of the population size averaged over all decomposable graphical models.

    Parameters
    ----------
    histories : CaptureHistories
        Three to six lists.
    delta : float, optional
        Hyper-Dirichlet prior count per cell of the full table (default ``2**-k``).
    alpha : float
        1 - credible level of the equal-tailed interval.
    n_missing : sequence of float, optional
        An explicit grid of numbers missing, used as is. By default the grid is ``0 ...
        upper_factor * observed``: a coarse pass over that range finds where the posterior
        mass lies, and the posterior is then evaluated on every integer there (or every
        ``s``-th, so that at most ``max_points`` values are used).
    log_prior : callable, optional
        Log prior of N (an array of totals); default dga's ``-log N``. See
        :func:`negative_binomial_log_prior` for Madigan & York's.

    Returns
    -------
    PosteriorSize
        ``details`` holds ``graphs`` (each graph's posterior weight, in the bracket notation,
        those of weight >= 1e-4), ``relative_loss_estimate`` (the Bayes estimate under
        relative squared error, ``E[1/N] / E[1/N^2]``; dga's and Madigan & York's "Bayes
        estimate"), ``delta`` and the ``grid``. A ``grid_edge`` warning says that more than
        0.1% of the posterior lies in the top 5% of the grid; a ``saturated_graph`` warning
        that more than half the posterior weight is on the complete graph, which leaves
        the number missing to the prior (docs/validation.md: latent-class heterogeneity).

    Examples
    --------
    >>> from estimation.capture_recapture import CaptureHistories
    >>> h = CaptureHistories.from_frequencies(["a", "b", "c"], {"100": 60, "010": 49,
    ...     "110": 4, "001": 247, "101": 112, "011": 142, "111": 12})
    >>> post = dga(h, delta=1.0)
    >>> post.median, post.conf_int(), post.details["graphs"][0]["graph"]
    (732.0, (681.0, 800.0), '[12,3]')
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    check_dga_lists(histories.n_lists)
    delta = _check_delta(delta, histories.n_lists)
    observed = histories.observed
    grid, widths, fine = choose_grid(
        lambda values: _marginals(histories, values, delta, log_prior)[0],
        observed,
        n_missing,
        upper_factor=upper_factor,
        max_points=max_points,
        alpha=alpha,
    )
    log_post, graph_log = _marginals(histories, grid, delta, log_prior, np.log(widths))
    edge = edge_mass(grid, log_post)
    weights = np.exp(graph_log - logsumexp(graph_log))
    probabilities = np.exp(log_post - logsumexp(log_post))
    totals = observed + grid
    relative = float(np.dot(probabilities, 1 / totals) / np.dot(probabilities, totals**-2.0))
    graphs = decomposable_graphs(histories.n_lists)
    order = np.argsort(-weights, kind="stable")
    shown = [i for i in order if weights[i] >= SHOWN_WEIGHT]
    warnings = ()
    if edge > EDGE_MASS:
        warnings = (
            BayesWarning(
                "grid_edge",
                f"{edge:.1%} of the posterior lies in the top {EDGE_SHARE:.0%} of the grid "
                f"(number missing up to {grid[-1]:.0f}): "
                "the data say little about the number missing (too little list overlap?); "
                "widen the grid and read the upper figures as bounded by it",
            ),
        )
    complete = next(i for i, g in enumerate(graphs) if len(g.cliques) == 1)
    if weights[complete] > SATURATED_WEIGHT:
        warnings += (
            BayesWarning(
                "saturated_graph",
                f"{weights[complete]:.0%} of the posterior weight is on the graph linking "
                f"every list ({graphs[complete].name}), which leaves the number missing "
                "unidentified: the posterior of N follows the prior, not the data (its "
                "median near the people observed, its upper figures the prior's tail); "
                "this happens when people differ in how catchable they are",
            ),
        )
    details = {
        "delta": delta,
        "prior": "user" if log_prior is not None else "1/N (dga's default)",
        "relative_loss_estimate": relative,
        "graph_count": len(graphs),
        "graphs": [{"graph": graphs[i].name, "weight": float(weights[i])} for i in shown],
        "grid": {
            "lower": float(grid[0]),
            "upper": float(grid[-1]),
            "points": int(grid.size),
            "fine_lower": fine[0],
            "fine_upper": fine[1],
            "fine_step": fine[2],
            "edge_mass": edge,
        },
    }
    return PosteriorSize.from_grid(
        "dga", histories.lists, observed, grid, log_post, alpha=alpha, warnings=warnings,
        details=details,
    )  # fmt: skip


def _marginals(
    histories: CaptureHistories,
    grid: np.ndarray,
    delta: float,
    log_prior: LogPrior | None,
    log_widths: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Log posterior mass of each grid value (summed over graphs; a point stands for
    ``exp(log_widths)`` numbers missing) and of each graph (summed over the grid)."""
    n_graphs = len(decomposable_graphs(histories.n_lists))
    chunk = max(1, _CHUNK_CELLS // n_graphs)
    by_value = []
    by_graph = np.full(n_graphs, -np.inf)
    for start in range(0, grid.size, chunk):
        _, joint = log_posterior_table(
            histories, grid[start : start + chunk], delta=delta, log_prior=log_prior
        )
        if log_widths is not None:
            joint += log_widths[start : start + chunk]
        # one exponential per cell serves both sums (scipy's logsumexp takes several passes);
        # cells below the chunk's peak by e^-745 underflow, negligible in either sum
        peak = joint.max()
        if not np.isfinite(peak):  # a user's prior that rules out the whole chunk
            by_value.append(np.full(joint.shape[1], -np.inf))
            continue
        joint -= peak
        np.exp(joint, out=joint)
        with np.errstate(divide="ignore"):
            by_value.append(np.log(joint.sum(axis=0)) + peak)
            by_graph = np.logaddexp(by_graph, np.log(joint.sum(axis=1)) + peak)
    return np.concatenate(by_value), by_graph


def _check_delta(delta: float | None, n_lists: int) -> float:
    if delta is None:
        return 2.0**-n_lists
    delta = float(delta)
    if not (np.isfinite(delta) and delta > 0):
        raise ValueError(f"delta (the hyper-Dirichlet prior count) must be positive, got {delta}")
    return delta
