"""Regional estimates by the multivariate indicator method (MIM, EMCDDA).

Indicators that every region has (treatment entrants, registered clients, new
registrations, HIV tests among people who inject drugs ...) are summarised by their
principal components on the log scale; in the *anchor* regions, where a direct estimate
exists (capture-recapture), the log estimate is regressed on the components; the
regression then estimates every region. Formulas, references and limits:
docs/methods/mim.md.

Model. With :math:`z_{ij}` the standardised :math:`\\log x_{ij}` of indicator :math:`j`
in region :math:`i` and :math:`s_{ik}` its score on component :math:`k` (correlation-matrix
PCA over all regions), the log prevalence is

.. math:: \\log N_i = \\beta_0 + \\sum_{k \\le K} \\beta_k s_{ik} + u_i,\\qquad
          u_i \\sim N(0, \\tau^2),

and the anchor's log estimate is :math:`\\log \\hat N_a = \\log N_a + e_a`,
:math:`e_a \\sim N(0, \\sigma_a^2)` with :math:`\\sigma_a` read from its interval. The
coefficients are fitted by ordinary least squares on the anchors; :math:`\\tau^2` (the
regions' spread around the regression beyond the anchors' own error) by the method of
moments. Prediction intervals come from a seeded parametric bootstrap of the prediction
error (Davison & Hinkley 1997, §6.3.3): new anchors are drawn from the fitted model with
both errors, the regression is refitted, and the spread of "refitted prediction minus a
fresh draw of the region's true value" gives each interval; the national total (the sum
of every region's prediction) gets its interval the same way. Each replicate first draws
:math:`\\tau^2` from its Q-profile confidence distribution
(:mod:`estimation.mim_heterogeneity`), so the interval carries the uncertainty of the
regions' spread too: with three anchors (one residual degree of freedom) that makes it
wide, which is what three anchors can say; ``tau2_uncertainty=False`` plugs in
:math:`\\hat\\tau^2` instead (docs/methods/mim.md, "The interval and tau2").

Public interface::

    mim_estimate(indicators, anchors, *, components=1, alpha=0.05, anchor_level=0.95,
                 replicates=2000, seed=20030101, tau2_uncertainty=True) -> MimResult
    MimResult(regions, national, pca, fit, ...)    # .as_dict()
    RegionEstimate, Pca, Fit, National

>>> import pandas as pd
>>> table = pd.DataFrame({"entrants": [100, 200, 400, 50], "registered": [300, 610, 1190, 160]},
...                      index=["A", "B", "C", "D"])
>>> result = mim_estimate(table, {"A": (1000, (800, 1250)), "B": (2050, (1640, 2560)),
...                               "C": (3900, (3100, 4900))}, replicates=200)
>>> round(result.region("D").estimate, -1)
530.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from estimation.mim_heterogeneity import tau2_draws

__all__ = ["Fit", "MimResult", "National", "Pca", "RegionEstimate", "mim_estimate"]

#: The seed of the bootstrap unless one is given (the registry's default seed).
DEFAULT_SEED = 20030101


@dataclass(frozen=True)
class RegionEstimate:
    """One region: the MIM estimate with its prediction interval, and its anchor if any."""

    region: str
    estimate: float
    ci_low: float
    ci_high: float
    scores: tuple[float, ...]
    anchor: bool = False
    anchor_estimate: float | None = None
    anchor_ci: tuple[float, float] | None = None


@dataclass(frozen=True)
class National:
    """The national total: the sum of every region's MIM estimate, with its interval."""

    estimate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Pca:
    """The principal components of the standardised log indicators (over all regions)."""

    indicators: tuple[str, ...]
    #: ``loadings[k][j]``: indicator j's weight in component k (unit vectors).
    loadings: tuple[tuple[float, ...], ...]
    #: Share of the total variance each component explains (all components, in order).
    variance_explained: tuple[float, ...]
    #: Mean and standard deviation of each log indicator (the standardisation).
    means: tuple[float, ...]
    sds: tuple[float, ...]


@dataclass(frozen=True)
class Fit:
    """The regression of the anchors' log estimates on the component scores."""

    intercept: float
    slopes: tuple[float, ...]
    r_squared: float | None
    residual_sd: float | None
    df: int
    #: The regions' variance around the regression beyond the anchors' own error.
    tau2: float
    #: The anchors' own log-scale standard errors, from their intervals.
    anchor_se: dict[str, float]
    #: Anchor residuals on the log scale (log estimate minus fitted).
    residuals: dict[str, float]
    #: Whether the intervals carry tau2's uncertainty (False: tau2 plugged in).
    tau2_uncertainty: bool = False


@dataclass(frozen=True)
class MimResult:
    """Result of :func:`mim_estimate`."""

    regions: tuple[RegionEstimate, ...]
    national: National
    pca: Pca
    fit: Fit
    components: int
    alpha: float
    replicates: int
    seed: int

    def region(self, name: str) -> RegionEstimate:
        """The estimate of region ``name`` (``KeyError`` if there is none)."""
        for entry in self.regions:
            if entry.region == name:
                return entry
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON values (tuples as lists)."""
        return asdict(self)


def _table(indicators: Any) -> pd.DataFrame:
    table = pd.DataFrame(indicators).copy()
    if table.empty or table.shape[1] == 0:
        raise ValueError("the indicator table is empty: give regions x indicators")
    table.index = [str(i) for i in table.index]
    table.columns = [str(c) for c in table.columns]
    if table.index.duplicated().any():
        raise ValueError(f"region {table.index[table.index.duplicated()][0]!r} appears twice")
    for column in table.columns:
        values = pd.to_numeric(table[column], errors="coerce")
        for region, value in values.items():
            if pd.isna(value) or not np.isfinite(value):
                raise ValueError(f"indicator {column!r} is missing for region {region!r}")
            if value <= 0:
                raise ValueError(
                    f"indicator {column!r} is {value:g} in region {region!r}: the method takes "
                    "logarithms, so every indicator must be positive in every region "
                    "(leave this indicator out, or merge small regions)"
                )
        table[column] = values.astype(float)
    return table


def _anchors(
    anchors: Mapping[str, Any], regions: list[str], level: float
) -> tuple[list[str], np.ndarray, np.ndarray, dict]:
    names, logs, ses, given = [], [], [], {}
    z = stats.norm.ppf(0.5 + level / 2)
    for region, entry in anchors.items():
        region = str(region)
        if region not in regions:
            raise ValueError(f"anchor region {region!r} is not in the indicator table")
        try:
            estimate, (low, high) = entry
            estimate, low, high = float(estimate), float(low), float(high)
        except (TypeError, ValueError):
            raise ValueError(
                f"anchor {region!r} must be (estimate, (ci_low, ci_high))"
            ) from None  # fmt: skip
        if not (0 < low <= estimate <= high) or not np.isfinite(high):
            raise ValueError(
                f"anchor {region!r}: need 0 < ci_low <= estimate <= ci_high, got "
                f"{estimate:g} ({low:g}-{high:g})"
            )
        names.append(region)
        logs.append(np.log(estimate))
        ses.append((np.log(high) - np.log(low)) / (2 * z))
        given[region] = (estimate, (low, high))
    return names, np.array(logs), np.array(ses), given


def _pca(table: pd.DataFrame) -> tuple[np.ndarray, Pca]:
    logs = np.log(table.to_numpy())
    means = logs.mean(axis=0)
    sds = logs.std(axis=0, ddof=1)
    flat = [c for c, sd in zip(table.columns, sds, strict=True) if not sd > 1e-12]
    if flat:
        raise ValueError(f"indicator {flat[0]!r} has the same value in every region: "
                         "it cannot tell regions apart (leave it out)")  # fmt: skip
    standard = (logs - means) / sds
    _, singular, vt = np.linalg.svd(standard, full_matrices=False)
    # Sign: a component grows with the indicators' sum (so the first one reads as "more").
    signs = np.where(vt.sum(axis=1) < 0, -1.0, 1.0)
    vt = vt * signs[:, None]
    variance = singular**2 / (singular**2).sum()
    pca = Pca(tuple(table.columns), tuple(tuple(map(float, row)) for row in vt),
              tuple(map(float, variance)), tuple(map(float, means)),
              tuple(map(float, sds)))  # fmt: skip
    return standard @ vt.T, pca


def _ols(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and residuals of ``y`` on ``design`` (batched over y's last axis)."""
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return coef, y - design @ coef


def mim_estimate(
    indicators: Any,
    anchors: Mapping[str, Any],
    *,
    components: int = 1,
    alpha: float = 0.05,
    anchor_level: float = 0.95,
    replicates: int = 2000,
    seed: int = DEFAULT_SEED,
    tau2_uncertainty: bool = True,
) -> MimResult:
    """Estimate every region from its indicators and the anchor regions' estimates.

    Parameters
    ----------
    indicators
        Regions x indicators (a DataFrame indexed by region, or a mapping of indicator to
        ``{region: value}``); every value positive (the method takes logarithms).
    anchors
        ``{region: (estimate, (ci_low, ci_high))}``: direct estimates (capture-recapture)
        of some regions, their intervals at ``anchor_level`` (read as log-normal).
    components
        Principal components used as predictors (1: the first). At least
        ``components + 2`` anchors are needed, so the regression keeps a residual degree
        of freedom.
    alpha
        One minus the level of the prediction intervals.
    replicates, seed
        Bootstrap replicates and the seed of ``numpy.random.default_rng`` (same seed,
        same intervals).
    tau2_uncertainty
        Draw ``tau2`` in each replicate from its confidence distribution, so the interval
        carries its uncertainty (the default). ``False``: plug in the estimate, as earlier
        releases did; the interval then assumes the regions lie as close to the
        regression as the anchors suggest, and was too narrow in the validation.

    Raises
    ------
    ValueError
        Too few anchors, an anchor outside the table or with an impossible interval, a
        missing, zero or negative indicator, an indicator equal in every region, anchors
        whose scores do not vary, too many components.
    """
    if not 0 < alpha < 1 or not 0 < anchor_level < 1:
        raise ValueError("alpha and anchor_level must lie strictly between 0 and 1")
    if int(replicates) < 100:
        raise ValueError("give at least 100 bootstrap replicates")
    table = _table(indicators)
    regions = list(table.index)
    n_regions, n_indicators = table.shape
    if not 1 <= components <= min(n_indicators, n_regions - 1):
        raise ValueError(f"components must be 1 to {min(n_indicators, n_regions - 1)} "
                         f"with {n_indicators} indicators and {n_regions} regions")  # fmt: skip
    names, y, se, given = _anchors(anchors, regions, anchor_level)
    if len(names) < components + 2:
        raise ValueError(
            f"too few anchors: {len(names)} given, {components + 2} needed for "
            f"{components} component(s) (the regression needs a residual degree of freedom)"
        )
    scores_all, pca = _pca(table)
    scores = scores_all[:, :components]
    design_all = np.column_stack([np.ones(n_regions), scores])
    rows = [regions.index(name) for name in names]
    design = design_all[rows]
    if np.linalg.matrix_rank(design) < components + 1:
        raise ValueError("the anchors' component scores do not vary enough to fit the "
                         "regression: choose anchors that differ in their indicators")  # fmt: skip
    coef, residuals = _ols(design, y)
    df = len(names) - components - 1
    rss = float(residuals @ residuals)
    hat = design @ np.linalg.pinv(design)
    leverage = np.diag(hat)
    tau2 = max(0.0, (rss - float(((1 - leverage) * se**2).sum())) / df)
    predicted = design_all @ coef

    rng = np.random.default_rng(seed)
    b = int(replicates)
    # tau: the plug-in estimate, or one draw of its pivotal distribution per replicate.
    tau = np.sqrt(tau2_draws(design, y, se, rng, b))[:, None] if tau2_uncertainty \
        else np.sqrt(tau2)  # fmt: skip
    # New anchors from the fitted model: region deviation u plus the anchor's own error e.
    fresh_anchor = design @ coef + rng.normal(0, 1, (b, len(names))) * tau \
        + rng.normal(0, 1, (b, len(names))) * se  # fmt: skip
    coef_star, _ = _ols(design, fresh_anchor.T)
    refitted = (design_all @ coef_star).T  # (b, regions)
    truth_star = predicted + rng.normal(0, 1, (b, n_regions)) * tau
    error = refitted - truth_star  # prediction minus truth, log scale
    low_q, high_q = np.quantile(error, [1 - alpha / 2, alpha / 2], axis=0)
    lows, highs = np.exp(predicted - low_q), np.exp(predicted - high_q)
    total = float(np.exp(predicted).sum())
    total_error = np.log(np.exp(refitted).sum(axis=1)) - np.log(np.exp(truth_star).sum(axis=1))
    t_low, t_high = np.quantile(total_error, [1 - alpha / 2, alpha / 2])

    estimates = tuple(
        RegionEstimate(
            region, float(np.exp(predicted[i])), float(lows[i]), float(highs[i]),
            tuple(map(float, scores[i])), region in given,
            given[region][0] if region in given else None,
            given[region][1] if region in given else None,
        )
        for i, region in enumerate(regions)
    )  # fmt: skip
    centred = y - y.mean()
    r_squared = 1 - rss / float(centred @ centred) if float(centred @ centred) > 0 else None
    fit = Fit(float(coef[0]), tuple(map(float, coef[1:])), r_squared,
              float(np.sqrt(rss / df)), df, float(tau2),
              {n: float(s) for n, s in zip(names, se, strict=True)},
              {n: float(r) for n, r in zip(names, residuals, strict=True)},
              bool(tau2_uncertainty))  # fmt: skip
    national = National(total, total * float(np.exp(-t_low)), total * float(np.exp(-t_high)))
    return MimResult(estimates, national, pca, fit, components, alpha, b, int(seed))
