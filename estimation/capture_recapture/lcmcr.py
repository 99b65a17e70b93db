"""Latent-class capture-recapture (LCMCR): Manrique-Vallier's (2016) Bayesian estimate of N.

People differ in how easily lists catch them. The model lets each person belong to one of
at most ``K`` latent classes; within a class the lists catch independently, each with its
own probability. Mixing over classes represents heterogeneity and the dependence between
lists that heterogeneity causes, which the log-linear models miss (their intervals then
fall below the truth). Written from the paper and the documented behaviour of the R
package LCMCR (its defaults are used here), not from its code.

.. math::

    z_i \\sim \\mathrm{Categorical}(\\pi_1, \\dots, \\pi_K), \\qquad
    x_{ij} \\mid z_i = k \\sim \\mathrm{Bernoulli}(\\lambda_{jk}), \\qquad
    \\lambda_{jk} \\sim \\mathrm{Beta}(1, 1),

    \\pi = \\mathrm{SB}_K(\\alpha) \\text{ (stick-breaking truncated at } K), \\qquad
    \\alpha \\sim \\mathrm{Gamma}(a_\\alpha, b_\\alpha), \\qquad p(N) \\propto 1/N.

The Gibbs sampler (:mod:`.lcmcr_sampler`) draws, in turn: the number missing
:math:`N - n \\sim \\mathrm{NegBin}(n, 1 - \\pi_0)` with
:math:`\\pi_0 = \\sum_k \\pi_k \\prod_j (1 - \\lambda_{jk})` and their classes; the classes of
the observed people; :math:`\\lambda`; the stick-breaking weights; :math:`\\alpha`.

References
----------
Manrique-Vallier, D. (2016). Bayesian population size estimation using Dirichlet process
mixtures. *Biometrics* 72(4):1246-1254.

Manrique-Vallier, D. LCMCR: Bayesian non-parametric latent-class capture-recapture (R
package; ``lcmCR`` and ``lcmCR_PostSampl``).

Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. & Bürkner, P.-C. (2021).
Rank-normalization, folding, and localization: an improved R-hat. *Bayesian Analysis*
16(2):667-718 (the diagnostics and their thresholds).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from estimation.capture_recapture.histories import CaptureHistories, history_patterns
from estimation.capture_recapture.mcmc_diagnostics import (
    ESS_THRESHOLD,
    RHAT_THRESHOLD,
    effective_sample_size,
    split_rhat,
)
from estimation.capture_recapture.posterior import BayesWarning, PosteriorSize

__all__ = ["DEFAULT_CHAINS", "lcmcr"]

# Two chains: the fewest that can disagree (split R-hat then compares four half-chains),
# run side by side on two cores, so the default run takes about the wall time of the one
# chain LCMCR runs. Vehtari et al. (2021) advise four for a final analysis: --chains 4.
DEFAULT_CHAINS = 2


def _positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    return int(value)


def lcmcr(
    histories: CaptureHistories,
    *,
    seed: int | None = None,
    chains: int | None = None,
    alpha: float = 0.05,
    classes: int = 10,
    a_alpha: float = 0.25,
    b_alpha: float = 0.25,
    burn_in: int = 10_000,
    samples: int = 1_000,
    thinning: int = 100,
) -> PosteriorSize:
    """Posterior of the population size under the latent-class model (LCMCR).

    Parameters
    ----------
    histories : CaptureHistories
        Frequencies of the observed capture histories (at least 2 lists; the model is
        weakly identified with 3 and meant for 4 or more).
    seed : int, optional
        Seed of the chains' streams (``numpy.random.SeedSequence(seed).spawn(chains)``);
        the same seed gives the same draws. Without one, fresh entropy is used and
        reported in ``details["seed"]`` so the run can be repeated.
    chains : int, optional
        Independent chains (default :data:`DEFAULT_CHAINS`), run in parallel threads.
    alpha : float
        1 - level of the equal-tailed credible interval (0.05: 2.5% and 97.5% quantiles).
    classes, a_alpha, b_alpha, burn_in, samples, thinning
        LCMCR's documented defaults: K = 10 latent classes, a Gamma(0.25, 0.25) prior on
        the stick-breaking concentration, 10,000 iterations of burn-in, then 1,000 draws
        kept from each chain, one every 100 iterations.

    Returns
    -------
    PosteriorSize
        Draws of N from all chains; ``details`` holds R-hat, the effective sample size,
        the settings and the seed; ``warnings`` says when R-hat or the effective sample
        size miss the thresholds of Vehtari et al. (2021).

    Examples
    --------
    >>> h = CaptureHistories.from_frequencies(
    ...     ["A", "B", "C"], {"111": 20, "110": 30, "101": 25, "011": 28,
    ...                        "100": 160, "010": 150, "001": 155})
    >>> post = lcmcr(h, seed=1, classes=1, burn_in=200, samples=500, thinning=2)
    >>> 1000 < post.abundance < 1200, post.details["chains"]
    (True, 2)
    """
    if not isinstance(histories, CaptureHistories):
        raise TypeError("histories must be a CaptureHistories")
    chains = _positive_int("chains", DEFAULT_CHAINS if chains is None else chains)
    classes = _positive_int("classes", classes)
    samples = _positive_int("samples", samples)
    thinning = _positive_int("thinning", thinning)
    if isinstance(burn_in, bool) or not isinstance(burn_in, int | np.integer) or burn_in < 0:
        raise ValueError(f"burn_in must be a whole number of at least 0, got {burn_in!r}")
    if not (a_alpha > 0 and b_alpha > 0):
        raise ValueError("a_alpha and b_alpha (the gamma prior on alpha) must be positive")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0
    ):
        raise ValueError(f"seed must be a whole number of at least 0, got {seed!r}")

    from estimation.capture_recapture.lcmcr_sampler import run_chain  # compiles on first use

    sequence = np.random.SeedSequence(seed)
    streams = [np.random.default_rng(child) for child in sequence.spawn(chains)]
    seen = histories.counts > 0
    patterns = np.ascontiguousarray(history_patterns(histories.n_lists)[seen])
    counts = np.ascontiguousarray(histories.counts[seen], dtype=np.int64)
    settings = (classes, float(a_alpha), float(b_alpha), int(burn_in), samples, thinning)

    def one_chain(rng: np.random.Generator):
        return run_chain(rng, patterns, counts, *settings)

    with ThreadPoolExecutor(max_workers=min(chains, os.cpu_count() or 1)) as pool:
        runs = list(pool.map(one_chain, streams))
    population = np.stack([missing for missing, _, _ in runs]) + histories.observed
    rhat = split_rhat(population) if samples >= 4 else float("nan")
    ess = effective_sample_size(population) if samples >= 4 else float("nan")
    details = {  # None, not NaN, where a diagnostic cannot be computed (valid JSON)
        "rhat": rhat if np.isfinite(rhat) else None,
        "ess": ess if np.isfinite(ess) else None,
        "chains": chains,
        "classes": classes,
        "a_alpha": float(a_alpha),
        "b_alpha": float(b_alpha),
        "burn_in": int(burn_in),
        "samples": samples,
        "thinning": thinning,
        "seed": sequence.entropy,
        "concentration_mean": float(np.mean([run[1] for run in runs])),
        "occupied_classes_mean": float(np.mean([run[2] for run in runs])),
    }
    return PosteriorSize.from_samples(
        "lcmcr",
        histories.lists,
        histories.observed,
        population,
        alpha=alpha,
        warnings=_convergence_warnings(rhat, ess, chains)
        + _identification_warnings(histories.n_lists, classes),
        details=details,
    )


def _identification_warnings(lists: int, classes: int) -> tuple[BayesWarning, ...]:
    """A warning when the lists are too few for latent classes to be told apart."""
    if classes == 1 or lists >= 4:
        return ()
    return (
        BayesWarning(
            "few_lists",
            f"with {lists} lists the latent classes are weakly identified: the priors, not "
            "the data, shape much of the estimate; compare it with the log-linear models",
        ),
    )


def _convergence_warnings(rhat: float, ess: float, chains: int) -> tuple[BayesWarning, ...]:
    """Warnings when the chains disagree or carry too little information."""
    found = []
    if not np.isfinite(rhat) or rhat >= RHAT_THRESHOLD:
        found.append(
            BayesWarning(
                "rhat",
                f"the chains have not mixed: R-hat of N is {rhat:.3f}, at or above "
                f"{RHAT_THRESHOLD} (Vehtari et al. 2021); run a longer burn-in or more "
                "samples",
            )
        )
    if not np.isfinite(ess) or ess <= ESS_THRESHOLD:
        found.append(
            BayesWarning(
                "ess",
                f"the effective sample size of N is {ess:.0f}, not above {ESS_THRESHOLD} "
                "(Vehtari et al. 2021): the interval's ends are imprecise; keep more "
                "samples or thin more",
            )
        )
    if chains == 1:
        found.append(
            BayesWarning(
                "one_chain",
                "one chain: R-hat compares only its two halves; run at least 2 chains",
            )
        )
    return tuple(found)
