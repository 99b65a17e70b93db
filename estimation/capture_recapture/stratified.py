"""Stratified estimation: one model per stratum (sex, age group, region), summed.

Capture probabilities often differ by stratum (men are more often arrested, older clients
more often treated); pooling strata then biases the estimate (heterogeneity). Fitting each
stratum separately and adding the estimates removes the between-stratum part of it:

.. math:: \\hat N = \\sum_s \\hat N_s, \\qquad
          \\widehat{se}(\\hat N) = \\sqrt{\\sum_s \\widehat{se}_s^2}

(strata are disjoint, so their estimates are independent). The interval of the total is
Chao's log-transformed interval around it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from estimation.capture_recapture.histories import CaptureHistories
from estimation.capture_recapture.intervals import chao_log_interval
from estimation.capture_recapture.models import fit_loglinear
from estimation.capture_recapture.results import LoglinearResult
from estimation.capture_recapture.search import search_models

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["StratifiedResult", "stratified"]


@dataclass(frozen=True)
class StratifiedResult:
    """Per-stratum estimates and their total.

    Attributes
    ----------
    strata : dict of str to LoglinearResult
        The model fitted in each stratum.
    abundance : float
        Sum of the stratum estimates.
    stderr : float
        Square root of the sum of their variances.
    observed : int
        People observed over all strata.
    """

    strata: dict[str, LoglinearResult] = field(repr=False)
    abundance: float
    stderr: float
    observed: int

    @property
    def fit_ok(self) -> bool:
        """Whether every stratum's fit is sound."""
        return all(result.fit_ok for result in self.strata.values())

    def conf_int(self, alpha: float = 0.05) -> tuple[float, float]:
        """Chao's log-transformed interval for the total."""
        return chao_log_interval(self.observed, self.abundance, self.stderr, alpha)

    def to_frame(self) -> pd.DataFrame:
        """One row per stratum and a ``total`` row."""
        rows = [
            {
                "stratum": name,
                "model": r.name,
                "observed": r.observed,
                "abundance": r.abundance,
                "stderr": r.stderr,
                "status": r.status,
            }
            for name, r in self.strata.items()
        ]
        rows.append(
            {
                "stratum": "total",
                "model": "",
                "observed": self.observed,
                "abundance": self.abundance,
                "stderr": self.stderr,
                "status": "ok" if self.fit_ok else "see strata",
            }
        )
        import pandas as pd

        return pd.DataFrame(rows).set_index("stratum")


def stratified(
    data: pd.DataFrame | Mapping[str, CaptureHistories],
    *,
    by: str | None = None,
    lists: Sequence[str] | None = None,
    freq: str | None = "freq",
    model: str = "Mt",
    criterion: str | None = None,
    heterogeneity: str | None = None,
) -> StratifiedResult:
    """Estimate each stratum separately and sum.

    Parameters
    ----------
    data : DataFrame or mapping of stratum name to CaptureHistories
        A frame with 0/1 list columns, a stratum column ``by`` and optionally ``freq``.
    by : str
        Stratum column (required with a data frame).
    lists : sequence of str, optional
        List columns (default: every column except ``by`` and ``freq``).
    freq : str or None
        Frequency column, if any.
    model : str
        Model fitted in every stratum (``"Mt"``, ``"[12,3,4]"``...), unless ``criterion``.
    criterion : {None, "aic", "bic"}
        Select each stratum's model by a search instead.
    heterogeneity : str, optional
        Heterogeneity term for ``model``.
    """
    if not isinstance(data, Mapping):  # a data frame
        if by is None or by not in data.columns:
            raise ValueError("give the stratum column with by=")
        if lists is None:
            lists = [c for c in data.columns if c not in (by, freq)]
        groups = {}
        for key, frame in data.groupby(by, sort=True):
            try:
                groups[str(key)] = CaptureHistories.from_frame(frame, lists=lists, freq=freq)
            except ValueError as error:
                raise ValueError(f"stratum {key!r}: {error}") from error
    else:
        groups = dict(data)
    if not groups:
        raise ValueError("no strata")
    results: dict[str, LoglinearResult] = {}
    for key, histories in groups.items():
        if criterion is not None:
            results[key] = search_models(histories, criterion=criterion).best()
        else:
            results[key] = fit_loglinear(histories, model, heterogeneity=heterogeneity)
    total = sum(r.abundance for r in results.values())
    stderr = math.sqrt(sum(r.stderr**2 for r in results.values()))
    observed = sum(r.observed for r in results.values())
    return StratifiedResult(strata=results, abundance=total, stderr=stderr, observed=observed)
