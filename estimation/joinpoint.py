"""Joinpoint (segmented linear) regression with grid search, BIC or permutation tests.

A continuous piecewise-linear mean with :math:`k` joinpoints is fitted by weighted least
squares to :math:`y` (usually a log rate, so that slopes are annual percent changes), with
joinpoints searched over the observed :math:`x` values as in the NCI Joinpoint program.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from estimation.distributions import t_quantile

__all__ = ["Joinpoint", "Segment", "default_max_joinpoints"]


def default_max_joinpoints(n: int) -> int:
    """NCI Joinpoint's recommended maximum for ``n`` observations (0 below 7)."""
    return 0 if n < 7 else min(5, (n - 2) // 5)


@dataclass(frozen=True)
class Segment:
    """One segment of a fitted joinpoint model.

    Attributes
    ----------
    start, end : float
        First and last :math:`x` of the segment (joinpoints are shared by neighbours).
    slope : float
        Slope on the :math:`y` scale.
    ci_low, ci_high : float or None
        Interval for the slope (t distribution, conditional on the joinpoints); None when
        no residual degrees of freedom are left (e.g. two years, or one joinpoint in six
        points), since the error variance cannot then be estimated.
    apc : float
        :math:`100(e^{\\text{slope}} - 1)`, meaningful when :math:`y` is a log rate.
    apc_low, apc_high : float or None
        Interval for ``apc`` (None as for ``ci_low``).
    """

    start: float
    end: float
    slope: float
    ci_low: float | None
    ci_high: float | None
    apc: float
    apc_low: float | None
    apc_high: float | None


def _design(x: np.ndarray, knots: tuple[float, ...]) -> np.ndarray:
    columns = [np.ones_like(x), x] + [np.clip(x - k, 0, None) for k in knots]
    return np.column_stack(columns)


def _sse(x: np.ndarray, sw: np.ndarray, knots: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Weighted SSE of every candidate joinpoint set (rows) for every response (columns).

    Designs are built and QR-factorised in batches, small enough to bound memory.
    """
    n, columns = ys.shape
    out = np.empty((len(knots), columns))
    chunk = max(1, 2_000_000 // (n * columns))
    total = np.sum(ys**2, axis=0)
    base = np.column_stack([np.ones_like(x), x])
    for start in range(0, len(knots), chunk):
        part = knots[start : start + chunk]
        hinges = np.clip(x[None, :, None] - part[:, None, :], 0, None)
        designs = (
            np.concatenate([np.broadcast_to(base, (len(part), n, 2)), hinges], axis=2)
            * sw[None, :, None]
        )
        q, _ = np.linalg.qr(designs)
        fitted = q.transpose(0, 2, 1) @ ys[None]  # coordinates in the column space
        out[start : start + chunk] = total - np.sum(fitted**2, axis=1)
    # SSE = |y|^2 - |Q'y|^2 loses ~1e-16 |y|^2 to rounding; the BIC floor absorbs it.
    return np.maximum(out, 0.0)


def _candidates(n: int, k: int, min_end: int, min_between: int) -> list[tuple[int, ...]]:
    allowed = range(min_end, n - min_end)
    return [
        combo
        for combo in itertools.combinations(allowed, k)
        if all(b - a - 1 >= min_between for a, b in itertools.pairwise(combo))
    ]


class Joinpoint:
    """Continuous piecewise-linear regression with 0..K joinpoints.

    .. math::

        E(y_i) = \\beta_0 + \\beta_1 x_i + \\sum_{j=1}^{k} \\delta_j (x_i - \\tau_j)^+

    Parameters
    ----------
    max_joinpoints : int, optional
        Largest :math:`K`; default :func:`default_max_joinpoints`.
    selection : {"bic", "permutation"}
        Choose :math:`k` by the Joinpoint BIC
        :math:`\\log(\\mathrm{SSE}_k/n) + 2(k+1)\\log(n)/n`, or by Kim et al.'s (2000)
        sequence of permutation tests at overall level ``alpha`` (Bonferroni over the
        :math:`K` tests).
    min_obs_end, min_obs_between : int, default 2
        Observations required between a joinpoint and either end, and between two
        joinpoints (joinpoints excluded), as in NCI Joinpoint.
    n_permutations : int, default 999
        Permuted data sets per null model (a few seconds in all for 30 years and
        :math:`K = 5`; under a second for 20 years).
    alpha : float, default 0.05
        Level of the permutation tests and of the slope intervals.
    seed : int, optional
        Seed for :func:`numpy.random.default_rng` (permutations).

    Attributes
    ----------
    n_joinpoints_ : int
    joinpoints_ : tuple of float
        Selected :math:`\\tau_j`.
    coef_ : ndarray
        :math:`(\\beta_0, \\beta_1, \\delta_1, \\ldots)`.
    segments_ : tuple of Segment
    bic_ : dict
        BIC for each :math:`k` tried.
    sse_ : dict
        Smallest weighted residual sum of squares for each :math:`k` tried.
    p_values_ : list of (k0, k1, p)
        Permutation tests performed (``selection="permutation"``).

    Examples
    --------
    >>> x = list(range(2000, 2012))
    >>> y = [0.1 * (t - 2000) if t <= 2006 else 0.6 - 0.05 * (t - 2006) for t in x]
    >>> model = Joinpoint().fit(x, y)
    >>> model.joinpoints_, [round(s.slope, 3) for s in model.segments_]
    ((2006.0,), [0.1, -0.05])

    References
    ----------
    Kim H-J, Fay MP, Feuer EJ, Midthune DN (2000). Permutation tests for joinpoint
    regression with applications to cancer rates. Stat Med 19:335-351. Lerman PM (1980).
    Fitting segmented regression models by grid search. Appl Stat 29:77-84.
    """

    def __init__(
        self,
        *,
        max_joinpoints: int | None = None,
        selection: str = "bic",
        min_obs_end: int = 2,
        min_obs_between: int = 2,
        n_permutations: int = 999,
        alpha: float = 0.05,
        seed: int | None = None,
    ) -> None:
        self.max_joinpoints = max_joinpoints
        self.selection = selection
        self.min_obs_end = min_obs_end
        self.min_obs_between = min_obs_between
        self.n_permutations = n_permutations
        self.alpha = alpha
        self.seed = seed

    def fit(self, x: ArrayLike, y: ArrayLike, weights: ArrayLike | None = None) -> Joinpoint:
        """Fit; ``weights`` are inverse variances of ``y`` (default 1)."""
        if self.selection not in ("bic", "permutation"):
            raise ValueError(f"selection must be 'bic' or 'permutation', got {self.selection!r}")
        x, y = np.asarray(x, float), np.asarray(y, float)
        w = np.ones_like(y) if weights is None else np.asarray(weights, float)
        order = np.argsort(x)
        x, y, w = x[order], y[order], w[order]
        n = len(x)
        if n < 2 or len(y) != n or len(w) != n or len(np.unique(x)) != n:
            raise ValueError("joinpoint regression needs at least two distinct x values")
        if not (np.all(np.isfinite(y)) and np.all(w > 0)):
            raise ValueError("y must be finite and weights positive")
        limit = default_max_joinpoints(n) if self.max_joinpoints is None else self.max_joinpoints
        # Candidate joinpoint sets per k, as a (candidates, k) array of x values.
        fits: dict[int, np.ndarray] = {0: np.empty((1, 0))}
        for k in range(1, limit + 1):
            combos = _candidates(n, k, self.min_obs_end, self.min_obs_between)
            if not combos:
                break
            fits[k] = x[np.array(combos)]
        sw = np.sqrt(w)
        ys = (sw * y)[:, None]
        best = {k: _sse(x, sw, knots, ys)[:, 0] for k, knots in fits.items()}
        self.sse_ = {k: float(np.min(v)) for k, v in best.items()}
        # An exact fit leaves SSE at rounding level; flooring it (relative to the total sum
        # of squares) keeps BIC from rewarding extra joinpoints that only fit that noise.
        floor = 1e-12 * (1.0 + float(np.sum(w * y**2)))
        sse = {k: max(float(np.min(v)), floor) for k, v in best.items()}
        self.bic_ = {k: math.log(sse[k] / n) + 2 * (k + 1) * math.log(n) / n for k in fits}
        self.p_values_ = []
        if self.selection == "bic":
            k = min(self.bic_, key=lambda j: (self.bic_[j], j))
        else:
            k = self._permutation_select(fits, x, y, sw, best)
        knots = tuple(fits[k][int(np.argmin(best[k]))])
        self._finish(x, y, w, knots)
        return self

    def _permutation_select(self, fits, x, y, sw, best) -> int:
        rng = np.random.default_rng(self.seed)
        k0, k1 = 0, max(fits)
        level = self.alpha / max(k1, 1)
        # Permuted data sets depend only on the null model k0: they (and their minimum SSE
        # for each k) are reused by every test with the same null model.
        perms_for: dict[int, np.ndarray] = {}
        null_sse: dict[tuple[int, int], np.ndarray] = {}
        while k0 < k1:
            if k0 not in perms_for:
                null_knots = tuple(fits[k0][int(np.argmin(best[k0]))])
                design = _design(x, null_knots) * sw[:, None]
                fitted = design @ np.linalg.lstsq(design, sw * y, rcond=None)[0]
                resid = sw * y - fitted
                perms = np.column_stack(
                    [fitted + rng.permutation(resid) for _ in range(self.n_permutations)]
                )
                perms_for[k0] = perms
            for k in (k0, k1):
                if (k0, k) not in null_sse:
                    null_sse[k0, k] = _sse(x, sw, fits[k], perms_for[k0]).min(axis=0)
            sse0, sse1 = null_sse[k0, k0], null_sse[k0, k1]
            stat = (np.min(best[k0]) - np.min(best[k1])) / max(np.min(best[k1]), 1e-300)
            null_stats = (sse0 - sse1) / np.maximum(sse1, 1e-300)
            p = (1 + int(np.sum(null_stats >= stat - 1e-12))) / (self.n_permutations + 1)
            self.p_values_.append((k0, k1, p))
            if p < level:
                k0 += 1
            else:
                k1 -= 1
        return k0

    def _finish(self, x, y, w, knots) -> None:
        design = _design(x, knots)
        xtwx = design.T @ (design * w[:, None])
        coef = np.linalg.solve(xtwx, design.T @ (w * y))
        resid = y - design @ coef
        df = len(x) - design.shape[1] - len(knots)  # joinpoint locations are estimated too
        sigma2 = float(np.sum(w * resid**2) / df) if df > 0 else 0.0
        cov = sigma2 * np.linalg.inv(xtwx)
        t = t_quantile(1 - self.alpha / 2, df) if df > 0 else 0.0
        bounds = [x[0], *knots, x[-1]]
        segments = []
        for j in range(len(knots) + 1):
            c = np.zeros(design.shape[1])
            c[1] = 1.0
            c[2 : 2 + j] = 1.0
            slope = float(c @ coef)
            low = high = None
            if df > 0:
                half = t * math.sqrt(max(float(c @ cov @ c), 0.0))
                low, high = slope - half, slope + half
            segments.append(
                Segment(
                    start=float(bounds[j]),
                    end=float(bounds[j + 1]),
                    slope=slope,
                    ci_low=low,
                    ci_high=high,
                    apc=100 * math.expm1(slope),
                    apc_low=None if low is None else 100 * math.expm1(low),
                    apc_high=None if high is None else 100 * math.expm1(high),
                )
            )
        self.n_joinpoints_ = len(knots)
        self.joinpoints_ = tuple(float(k) for k in knots)
        self.coef_ = coef
        self.segments_ = tuple(segments)

    def summary(self) -> str:
        """Text table of the segments."""
        lines = [f"{self.n_joinpoints_} joinpoint(s) at {list(self.joinpoints_)}"]
        for s in self.segments_:
            interval = (
                "no interval: no residual degrees of freedom"
                if s.apc_low is None
                else f"{s.apc_low:.1f} to {s.apc_high:.1f}"
            )
            lines.append(
                f"{s.start:g}-{s.end:g}: slope {s.slope:.4f}, APC {s.apc:.1f}% ({interval})"
            )
        return "\n".join(lines)
