"""The posterior of a population size: the result shape shared by the Bayesian methods.

Bayesian model averaging over decomposable graphs (``dga``) evaluates the posterior of the
number missing exactly on a grid; the latent-class model (``lcmcr``) draws samples of it.
Both report through :class:`PosteriorSize`, which speaks the vocabulary of the other
capture-recapture results (``abundance``, ``stderr``, ``ci_low``, ``ci_high``, ``warnings``;
see :meth:`~estimation.capture_recapture.results.LoglinearResult.to_dict`):

* ``abundance`` is the posterior **median** of N, ``ci_low``/``ci_high`` the equal-tailed
  ``alpha/2`` and ``1 - alpha/2`` posterior quantiles, ``stderr`` the posterior standard
  deviation;
* ``mean`` and ``mode`` are reported beside them;
* ``warnings`` are :class:`BayesWarning` (a short code and a sentence), e.g. posterior mass
  at the upper edge of the grid, or chains that have not mixed;
* ``details`` holds what is particular to the method (each graph's posterior weight for
  ``dga``; R-hat, effective sample size and sampler settings for ``lcmcr``).

Quantiles of a discrete posterior are the smallest grid value whose cumulative probability
reaches the level (R's ``quantile(type = 1)`` for samples).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["BayesWarning", "PosteriorSize"]


@dataclass(frozen=True)
class BayesWarning:
    """One condition worth a reader's attention, with a stable ``code``."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class PosteriorSize:
    """The posterior distribution of the population size N = observed + missing.

    Build it with :meth:`from_grid` (exact posterior probabilities on values of N) or
    :meth:`from_samples` (posterior draws of N).
    """

    method: str
    lists: tuple[str, ...]
    observed: int
    values: np.ndarray  # support of N (ascending)
    probabilities: np.ndarray  # posterior probability of each value, summing to 1
    alpha: float = 0.05
    warnings: tuple[BayesWarning, ...] = ()
    details: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def from_grid(
        cls,
        method: str,
        lists: Sequence[str],
        observed: int,
        n_missing: Sequence[float],
        log_posterior: Sequence[float],
        **kwargs,
    ) -> PosteriorSize:
        """From the unnormalised log posterior of each number missing on a grid."""
        missing = np.asarray(n_missing, dtype=float)
        logp = np.asarray(log_posterior, dtype=float)
        if missing.shape != logp.shape or missing.ndim != 1 or missing.size == 0:
            raise ValueError("n_missing and log_posterior must be equal-length 1-d arrays")
        order = np.argsort(missing)
        missing, logp = missing[order], logp[order]
        weights = np.exp(logp - np.max(logp))
        return cls(
            method=method,
            lists=tuple(lists),
            observed=int(observed),
            values=observed + missing,
            probabilities=weights / weights.sum(),
            **kwargs,
        )

    @classmethod
    def from_samples(
        cls, method: str, lists: Sequence[str], observed: int, samples: Sequence[float], **kwargs
    ) -> PosteriorSize:
        """From posterior draws of N (each at least ``observed``)."""
        draws = np.asarray(samples, dtype=float).ravel()
        if draws.size == 0:
            raise ValueError("no posterior samples")
        values, counts = np.unique(draws, return_counts=True)
        return cls(
            method=method,
            lists=tuple(lists),
            observed=int(observed),
            values=values,
            probabilities=counts / counts.sum(),
            **kwargs,
        )

    def quantile(self, level: float) -> float:
        """The smallest N whose posterior cumulative probability reaches ``level`` (for
        ``level`` 0: the smallest N of positive probability)."""
        if not 0 <= level <= 1:
            raise ValueError("level must be between 0 and 1")
        cumulative = np.cumsum(self.probabilities)
        index = int(np.searchsorted(cumulative, max(level - 1e-12, 1e-300), side="left"))
        return float(self.values[min(index, self.values.size - 1)])

    @property
    def median(self) -> float:
        return self.quantile(0.5)

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self.probabilities))

    @property
    def mode(self) -> float:
        return float(self.values[int(np.argmax(self.probabilities))])

    @property
    def stderr(self) -> float:
        """Posterior standard deviation of N."""
        spread = self.values - self.mean
        return float(np.sqrt(np.dot(spread * spread, self.probabilities)))

    @property
    def abundance(self) -> float:
        """The reported estimate: the posterior median."""
        return self.median

    def conf_int(self, alpha: float | None = None) -> tuple[float, float]:
        """Equal-tailed credible interval (default: the result's ``alpha``)."""
        alpha = self.alpha if alpha is None else alpha
        return self.quantile(alpha / 2), self.quantile(1 - alpha / 2)

    @property
    def fit_ok(self) -> bool:
        return not self.warnings

    def to_dict(self, alpha: float | None = None) -> dict[str, object]:
        """Plain dictionary (for JSON): one row of the CLI's ``models``."""
        low, high = self.conf_int(alpha)
        return {
            "name": self.method,
            "abundance": self.abundance,
            "median": self.median,
            "mean": self.mean,
            "mode": self.mode,
            "stderr": self.stderr,
            "ci_low": low,
            "ci_high": high,
            "alpha": self.alpha if alpha is None else alpha,
            "fit_ok": self.fit_ok,
            "message": "; ".join(w.message for w in self.warnings),
            "warnings": [w.to_dict() for w in self.warnings],
            **{key: value for key, value in self.details.items()},
        }

    def summary(self) -> str:
        """Short text report."""
        low, high = self.conf_int()
        lines = [
            f"{self.method} on {len(self.lists)} lists ({', '.join(self.lists)}), "
            f"observed n = {self.observed}",
            f"posterior median N = {self.median:.0f}, mean {self.mean:.1f}, "
            f"mode {self.mode:.0f}, sd {self.stderr:.1f}",
            f"{100 * (1 - self.alpha):g}% credible interval: {low:.0f} to {high:.0f}",
        ]
        lines += [f"WARNING ({w.code}): {w.message}" for w in self.warnings]
        return "\n".join(lines)
