"""Model-averaged abundance over a set of fitted models (Buckland, Burnham & Augustin 1997).

Weights ``w_i ∝ exp(-Δ_i / 2)`` with ``Δ_i`` the AIC (or BIC) difference to the best model,
``N = Σ w_i N_i`` and the unconditional standard error ``Σ w_i sqrt(se_i² + (N_i - N)²)``.
Only usable models (fit status ``"ok"`` or ``"boundary"``) take part.

References
----------
Buckland, S. T., Burnham, K. P. & Augustin, N. H. (1997). Model selection: an integral part
of inference. Biometrics 53, 603-618.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from estimation.capture_recapture.intervals import chao_log_interval
from estimation.capture_recapture.results import ModelTable

__all__ = ["AveragedEstimate", "model_average"]


@dataclass(frozen=True)
class AveragedEstimate:
    """Model-averaged abundance.

    Attributes
    ----------
    abundance : float
        ``Σ w_i N_i``.
    stderr : float
        Unconditional standard error ``Σ w_i sqrt(se_i² + (N_i - N)²)``.
    observed : int
    criterion : str
    weights : dict of str to float
        Weight of each model (models with a failed fit are excluded).
    """

    abundance: float
    stderr: float
    observed: int
    criterion: str
    weights: dict[str, float] = field(repr=False)

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Chao's log-transformed interval with the unconditional standard error."""
        return chao_log_interval(self.observed, self.abundance, self.stderr, alpha)


def model_average(table: ModelTable, *, criterion: str = "aic") -> AveragedEstimate:
    """Average the abundance over the soundly fitted models of ``table`` with AIC weights."""
    if criterion not in ("aic", "bic"):
        raise ValueError(f"criterion must be 'aic' or 'bic', got {criterion!r}")
    usable = [r for r in table.results if r.usable and math.isfinite(getattr(r, criterion))]
    if not usable:
        raise ValueError("no model was fitted properly: nothing to average")
    values = np.array([getattr(r, criterion) for r in usable])
    weights = np.exp(-(values - values.min()) / 2)
    weights /= weights.sum()
    estimates = np.array([r.abundance for r in usable])
    errors = np.array([r.stderr for r in usable])
    mean = float(weights @ estimates)
    stderr = float(weights @ np.sqrt(errors**2 + (estimates - mean) ** 2))
    return AveragedEstimate(
        abundance=mean,
        stderr=stderr,
        observed=table.observed,
        criterion=criterion,
        weights={r.name: float(w) for r, w in zip(usable, weights, strict=True)},
    )
