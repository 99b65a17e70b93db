"""Log-linear capture-recapture models: Rcapture's ``closedp.t`` family and any
hierarchical model with optional heterogeneity.

The counts ``y_w`` of the observable histories ``w`` are modelled as independent Poisson
variables with ``log E y_w = b0 + x_w' b``; the all-zero history has mean ``exp(b0)``, so

.. math:: \\hat N = n + e^{\\hat b_0}, \\qquad
          \\widehat{se}(\\hat N) = \\sqrt{e^{\\hat b_0} + e^{2\\hat b_0}\\,\\hat V(\\hat b_0)}

(Rivest & Baillargeon 2007; the first term is the multinomial correction). Mb and Mbh have
their own closed forms (behavioural response, Rcapture's ``closedp.t``).

References
----------
Baillargeon, S. & Rivest, L.-P. (2007). Rcapture: loglinear models for capture-recapture
in R. Journal of Statistical Software 19(5).
Rivest, L.-P. & Baillargeon, S. (2007). Applications and extensions of Chao's moment
estimator for the size of a closed population. Biometrics 63, 999-1006.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from estimation.capture_recapture.chao import fit_with_chao
from estimation.capture_recapture.design import (
    Term,
    first_capture_columns,
    heterogeneity_columns,
    heterogeneity_label,
    hierarchical_terms,
    model_name,
    normalise_heterogeneity,
    parse_model,
    term_columns,
    term_label,
)
from estimation.capture_recapture.fit_warnings import rcapture_warnings
from estimation.capture_recapture.glm import PoissonFit, fit_poisson
from estimation.capture_recapture.histories import CaptureHistories
from estimation.capture_recapture.identifiability import ZERO_CELL_SUSPECT, mle_exists_many
from estimation.capture_recapture.results import LoglinearResult, ModelTable

__all__ = ["closed_population_models", "fit_loglinear"]

STANDARD_MODELS = (
    ("M0", None),
    ("Mt", None),
    ("Mh", "Chao"),
    ("Mh", "Poisson"),
    ("Mh", "Darroch"),
    ("Mh", "Gamma"),
    ("Mth", "Chao"),
    ("Mth", "Poisson"),
    ("Mth", "Darroch"),
    ("Mth", "Gamma"),
    ("Mb", None),
    ("Mbh", None),
)


def _design(
    histories: CaptureHistories, base: str, terms: Sequence[Term] | None, kind: str | None, theta
) -> tuple[np.ndarray, list[str], list[int]]:
    """Full design (intercept first), column names and the indices of Chao columns."""
    patterns = histories.patterns
    k = histories.n_lists
    names = ["(Intercept)"]
    columns = [np.ones(len(patterns))]
    if base in ("M0", "Mh"):
        columns.append(patterns.sum(axis=1).astype(float))
        names.append("beta")
    elif base in ("Mt", "Mth"):
        columns.extend(patterns.T.astype(float))
        names.extend(histories.lists)
    elif base in ("Mb", "Mbh"):
        before, after = first_capture_columns(patterns)
        if base == "Mbh":
            columns.append(1.0 - patterns[:, 0])
            names.append("eta")
        columns.extend([before, after])
        names.extend(["beta1", "beta2"])
    else:
        terms = list(terms or [])
        columns.extend(term_columns(patterns, terms).T)
        names.extend(term_label(t, histories.lists) for t in terms)
    chao: list[int] = []
    if kind is not None:
        extra, extra_names = heterogeneity_columns(patterns.sum(axis=1), kind, theta, k)
        if kind == "Chao":
            chao = list(range(len(names), len(names) + extra.shape[1]))
        columns.extend(extra.T)
        names.extend(extra_names)
    return np.column_stack(columns), names, chao


def _abundance(base: str, fit: PoissonFit, n: int, k: int) -> tuple[float, float]:
    b = fit.coef
    cov = fit.cov
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if base == "Mb":
            e1, e2 = np.exp(b[1]), np.exp(b[2])
            denom = 1 + e2 - e1
            N = np.exp(b[0]) * (1 + e2) ** k / denom
            v = N * np.array([1.0, e1 / denom, k * e2 / (1 + e2) - e2 / denom])
        elif base == "Mbh":
            e4 = np.exp(b[3])
            denom = 1 + e4 - np.exp(b[2])
            a = np.exp(b[1] + b[2]) / denom
            scale = np.exp(b[0]) * (1 + e4) ** (k - 1)
            N = scale * (1 + a)
            v = scale * np.array(
                [
                    1 + a,
                    a,
                    a + np.exp(b[1] + 2 * b[2]) / denom**2,
                    (k - 1) * e4 / (1 + e4) - np.exp(b[1] + b[2] + b[3]) / denom**2,
                ]
            )
        else:
            f0 = np.exp(b[0])
            return float(n + f0), float(np.sqrt(f0 + f0**2 * cov[0, 0]))
        variance = float(v @ cov @ v) - N
        return N, np.sqrt(variance) if variance >= 0 else float("nan")


def _fit(
    histories: CaptureHistories, name: str, base: str, terms, kind, theta, neg_eta
) -> LoglinearResult:
    y = histories.counts.astype(float)
    n = histories.observed
    X, names, chao = _design(histories, base, terms, kind, theta)
    if X.shape[1] > X.shape[0]:
        raise ValueError(
            f"model {name} has {X.shape[1]} parameters but only {X.shape[0]} cells to fit them"
        )
    if chao and neg_eta:
        fit, keep = fit_with_chao(X, y, chao)
    else:
        fit, keep = fit_poisson(X, y), np.ones(X.shape[1], dtype=bool)
    used = X[:, keep]
    used_names = [nm for nm, kept in zip(names, keep, strict=True) if kept]
    coefficients = dict(zip(used_names, fit.coef.tolist(), strict=True))
    abundance, stderr = _abundance(base, fit, n, histories.n_lists)
    status, message = "ok", ""
    dropped = [nm for nm, kept in zip(names, keep, strict=True) if not kept]
    if fit.aliased.any():
        aliased = [nm for nm, a in zip(used_names, fit.aliased, strict=True) if a]
        status, message = (
            "not_identifiable",
            f"design not of full rank: {', '.join(aliased)} aliased",
        )
    elif not _mle_exists(used, y, fit):
        status = "no_mle"
        message = (
            "the maximum likelihood estimate does not exist: zero cells send parameters "
            "to infinity (the figures shown are those of the extended MLE)"
        )
    elif not fit.converged:
        status, message = "not_converged", "the Poisson fit did not converge"
    elif not (math.isfinite(abundance) and math.isfinite(stderr)) or abundance < n:
        status, message = "no_mle", "the abundance estimate is not finite"
    elif dropped:
        status = "boundary"
        message = f"heterogeneity parameter(s) {', '.join(dropped)} negative, set to 0 (boundary)"
    elif kind in ("Poisson", "Darroch", "Gamma") and coefficients.get("tau", 0.0) < 0:
        status = "boundary"
        message = "heterogeneity parameter tau is negative: no heterogeneity detected (boundary)"
    bias = float("nan")
    if base not in ("Mb", "Mbh") and not fit.aliased.any():
        bias = asymptotic_bias(used, fit.fitted, fit.cov, fit.coef[0])
        if status == "ok" and abs(bias) > 0.1 * abundance:
            message = f"the asymptotic bias is large ({bias:.1f}, over 10% of N)"
    warnings = rcapture_warnings(
        iterations=fit.iterations,
        converged=fit.converged,
        singular=bool(fit.aliased.any()),
        bias=bias,
        abundance=float(abundance),
        min_fitted=float(np.min(fit.fitted)),
    )
    p = fit.rank
    return LoglinearResult(
        name=name,
        lists=histories.lists,
        observed=n,
        abundance=float(abundance),
        stderr=float(stderr),
        deviance=fit.deviance,
        df=len(y) - p,
        aic=-2 * fit.loglik + 2 * p,
        bic=-2 * fit.loglik + math.log(n) * p,
        status=status,
        message=message,
        coefficients=coefficients,
        var_intercept=float(fit.cov[0, 0]) if base not in ("Mb", "Mbh") else float("nan"),
        design=None if base in ("Mb", "Mbh") else X,
        counts=y,
        chao_columns=tuple(chao) if neg_eta else (),
        bias=bias,
        fitted=fit.fitted,
        warnings=warnings,
    )


def _mle_exists(X: np.ndarray, y: np.ndarray, fit: PoissonFit) -> bool:
    """The existence check with the search's shortcuts: a fit that converged with its zero
    cells away from 0 needs no linear programme (nor the import of scipy)."""
    suspect = not fit.converged or fit.min_fitted_zero < ZERO_CELL_SUSPECT
    mask = np.ones((1, X.shape[1]), dtype=bool)
    with np.errstate(divide="ignore"):
        eta = np.log(fit.fitted)[None, :]
    return bool(mle_exists_many(X, mask, y, suspects=np.array([suspect]), eta=eta)[0])


def asymptotic_bias(X: np.ndarray, fitted: np.ndarray, cov: np.ndarray, b0: float) -> float:
    """Rcapture's first-order bias of ``N = n + exp(b0)`` (``closedp.fitone``).

    With ``V`` the inverse information, ``xi_w = -x_w' V x_w / 2``,
    ``psi = -2 X' diag(mu) xi - e_1`` and ``bias = -exp(b0) (V psi)_1 / 2``; Rcapture warns
    when it exceeds 10% of ``N``.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        xi = -0.5 * np.einsum("cp,pq,cq->c", X, cov, X)
        psi = -2.0 * X.T @ (fitted * xi)
        psi[0] -= 1.0
        return float(0.5 * np.exp(b0) * (-cov @ psi)[0])


def fit_loglinear(
    histories: CaptureHistories,
    model: str | Sequence[Term] = "Mt",
    *,
    heterogeneity: str | None = None,
    theta: float | None = None,
    neg_eta: bool = True,
) -> LoglinearResult:
    """Fit one log-linear model.

    Parameters
    ----------
    histories : CaptureHistories
    model : str or sequence of terms
        ``"M0"``, ``"Mt"``, ``"Mh"``, ``"Mth"``, ``"Mb"``, ``"Mbh"``, or a hierarchical model in
        Rcapture's notation (``"[12,3,4]"``) or as generating terms (0-based list indices).
    heterogeneity : {None, "Chao", "LB", "Poisson", "Darroch", "Gamma"}
        Heterogeneity columns added to the model (``"Mh"`` and ``"Mth"`` default to Chao).
    theta : float, optional
        Parameter of the Poisson (default 2) and Gamma (default 3.5) forms.
    neg_eta : bool
        Drop negative Chao ``eta`` parameters (set them to the boundary 0), as Rcapture.

    Returns
    -------
    LoglinearResult

    Examples
    --------
    >>> from estimation.capture_recapture.datasets import rome_hiv
    >>> round(fit_loglinear(rome_hiv(), "[12,3,4]").abundance, 1)
    12318.5
    """
    k = histories.n_lists
    if isinstance(model, str) and model in ("M0", "Mt", "Mh", "Mth", "Mb", "Mbh"):
        base, terms = model, None
        if base in ("Mh", "Mth") and heterogeneity is None:
            heterogeneity = "Chao"
        if base in ("Mb", "Mbh") and heterogeneity is not None:
            raise ValueError(f"model {base} takes no heterogeneity term")
        if base in ("Mh", "Mth") and k < 3:
            raise ValueError("heterogeneity models need at least 3 lists")
    else:
        base = "terms"
        generators = (
            parse_model(model, k) if isinstance(model, str) else [frozenset(t) for t in model]
        )
        terms = hierarchical_terms(generators)
    kind, theta = normalise_heterogeneity(heterogeneity, theta)
    label = heterogeneity_label(kind, theta)
    if base == "terms":
        name = model_name(terms) + (f" {label}" if label else "")
    else:
        name = base + (f" {label}" if label else "")
    return _fit(histories, name, base, terms, kind, theta, neg_eta)


def closed_population_models(histories: CaptureHistories) -> ModelTable:
    """Fit Rcapture's ``closedp.t`` family: M0, Mt, Mh and Mth (Chao, Poisson2, Darroch,
    Gamma3.5), Mb and Mbh (only M0, Mt and Mb for two lists).

    Examples
    --------
    >>> from estimation.capture_recapture.datasets import rome_hiv
    >>> table = closed_population_models(rome_hiv())
    >>> round(table["Mt"].abundance, 1)
    11124.6
    """
    specs = STANDARD_MODELS if histories.n_lists > 2 else (("M0", None), ("Mt", None), ("Mb", None))
    results = [fit_loglinear(histories, base, heterogeneity=h) for base, h in specs]
    return ModelTable(lists=histories.lists, observed=histories.observed, results=tuple(results))
