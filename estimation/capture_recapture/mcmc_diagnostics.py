"""Convergence diagnostics of Markov chains: rank-normalised split R-hat and bulk ESS.

Both follow Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization,
folding, and localization: an improved R-hat for assessing convergence of MCMC",
*Bayesian Analysis* 16(2):667-718, as Stan and ArviZ compute them:

* each chain is split in halves (a chain that drifts then disagrees with itself);
* draws are replaced by the normal scores of their pooled ranks,
  :math:`z = \\Phi^{-1}((r - 3/8) / (S + 1/4))` (ties share their average rank, which
  matters for the integer draws of a population size);
* R-hat is the larger of the bulk value and the value on the folded draws
  :math:`|\\theta - \\mathrm{median}(\\theta)|` (which catches chains that differ in spread);
* the effective sample size of the bulk uses Geyer's initial monotone sequence of
  autocorrelations.

Their recommended thresholds, used by :mod:`.lcmcr` to warn: R-hat below 1.01 and a bulk
effective sample size above 400.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> draws = rng.normal(size=(4, 1000))
>>> round(split_rhat(draws), 2), effective_sample_size(draws) > 3000
(1.0, True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["RHAT_THRESHOLD", "ESS_THRESHOLD", "effective_sample_size", "split_rhat"]

RHAT_THRESHOLD = 1.01
ESS_THRESHOLD = 400


def _split(draws: np.ndarray) -> np.ndarray:
    chains = np.atleast_2d(np.asarray(draws, dtype=float))
    if chains.ndim != 2 or chains.shape[1] < 4:
        raise ValueError("give draws as (chains, draws) with at least 4 draws per chain")
    half = chains.shape[1] // 2
    return np.concatenate([chains[:, :half], chains[:, -half:]])


def _rank_normalise(chains: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri  # scipy takes a second to import: only when needed
    from scipy.stats import rankdata

    ranks = rankdata(chains, method="average").reshape(chains.shape)
    return ndtri((ranks - 0.375) / (chains.size + 0.25))


def _rhat(chains: np.ndarray) -> float:
    length = chains.shape[1]
    within = chains.var(axis=1, ddof=1).mean()
    between = length * chains.mean(axis=1).var(ddof=1)
    if within == 0:
        return 1.0 if between == 0 else float("inf")
    pooled = (length - 1) / length * within + between / length
    return float(np.sqrt(pooled / within))


def split_rhat(draws: np.ndarray) -> float:
    """Rank-normalised split R-hat: max of the bulk and folded values (Vehtari et al. 2021).

    ``draws`` has one row per chain. Values near 1 mean the chains agree; above
    :data:`RHAT_THRESHOLD` they have not mixed.
    """
    chains = _split(draws)
    if np.ptp(chains) == 0:
        return 1.0
    bulk = _rhat(_rank_normalise(chains))
    folded = _rhat(_rank_normalise(np.abs(chains - np.median(chains))))
    return max(bulk, folded)


def _autocovariance(chains: np.ndarray) -> np.ndarray:
    """Autocovariance of each chain at every lag (biased, divided by the length), by FFT."""
    length = chains.shape[1]
    centred = chains - chains.mean(axis=1, keepdims=True)
    size = 1 << (2 * length - 1).bit_length()
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    return np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :length] / length


def effective_sample_size(draws: np.ndarray) -> float:
    """Bulk effective sample size of the draws (rank-normalised split chains).

    The autocorrelation at lag t combines the chains as in Stan:
    :math:`\\hat\\rho_t = 1 - (W - \\bar\\gamma_t) / \\widehat{var}^+`, summed in pairs until a
    pair is negative, the pair sums made non-increasing (Geyer 1992);
    :math:`ESS = M N / \\hat\\tau` with :math:`\\hat\\tau = -1 + 2 \\sum \\hat\\rho_t`.
    """
    chains = _split(draws)
    if np.ptp(chains) == 0:
        return float(chains.size)
    chains = _rank_normalise(chains)
    count, length = chains.shape
    acov = _autocovariance(chains)
    within = acov[:, 0].mean() * length / (length - 1)
    pooled = within * (length - 1) / length + chains.mean(axis=1).var(ddof=1)
    rho = 1 - (within - acov.mean(axis=0)) / pooled
    rho[0] = 1.0
    pairs = rho[: 2 * (length // 2)].reshape(-1, 2).sum(axis=1)
    negative = np.nonzero(pairs < 0)[0]
    pairs = pairs[: negative[0]] if negative.size else pairs
    pairs = np.minimum.accumulate(pairs)
    tau = max(-1 + 2 * pairs.sum(), 1 / np.log10(count * length))
    return float(count * length / tau)
