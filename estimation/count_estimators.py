"""Single-list count estimators: Chao, Zelterman, zero-truncated Poisson (regression).

For a list in which people appear several times (police contacts in a year, clinic
visits), :math:`f_k` people appear exactly :math:`k` times and :math:`f_0`, those never
seen, is estimated from the shape of :math:`f_1, f_2, \\ldots`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from estimation.single_list import (
    INTERVALS,
    CountEstimate,
    frequency_table,
    interval_method,
    population_interval,
)
from estimation.ztpoisson import ZeroTruncatedPoissonRegression, ztpoisson

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ZeroTruncatedPoissonRegression",
    "ztpoisson",
    "INTERVALS",
    "CountEstimate",
    "chao",
    "count_estimators",
    "frequency_table",
    "population_interval",
    "zelterman",
]


def chao(
    data: Mapping[int, int] | pd.DataFrame,
    *,
    method: str | None = None,
    interval: str = "lognormal",
    alpha: float = 0.05,
) -> CountEstimate:
    """Chao's lower bound :math:`\\hat N = n + f_1^2 / (2 f_2)`.

    Parameters
    ----------
    data : mapping or DataFrame
        Frequencies :math:`f_k` (see :func:`frequency_table`).
    method : {"lognormal", "normal"}
        Interval type (``interval=`` is the former name, kept for one release).
        Interval type; log-normal (Chao 1987) keeps the lower bound above :math:`n`.
    alpha : float, default 0.05

    Returns
    -------
    CountEstimate

    Notes
    -----
    Variance (Chao 1987), with :math:`r = f_1/f_2`:
    :math:`\\widehat{\\mathrm{var}} = f_2 (r^4/4 + r^3 + r^2/2)`. Log-normal interval
    :math:`[n + \\hat f_0/C,\\, n + \\hat f_0 C]`,
    :math:`C = \\exp\\{z\\sqrt{\\log(1 + \\widehat{\\mathrm{var}}/\\hat f_0^2)}\\}`.

    When :math:`f_2 = 0` the bias-corrected form :math:`\\hat f_0 = f_1(f_1-1)/2` is used
    with variance :math:`f_1(f_1-1)/2 + f_1(2f_1-1)^2/4 - f_1^4/(4\\hat N)` (Chao 2005;
    Colwell, EstimateS). When :math:`f_1 = 0` nobody is estimated missing and the
    interval is :math:`[n, n]`. A lower bound under heterogeneity: it assumes only
    that capture probabilities are homogeneous among the rarely seen.

    References
    ----------
    Chao A (1987). Estimating the population size for capture-recapture data with unequal
    catchability. Biometrics 43:783-791. Chao A (2005). Species estimation and
    applications. Encyclopedia of Statistical Sciences, 2nd ed., 7907-7916.
    """
    freq = frequency_table(data)
    n = sum(freq.values())
    f1, f2 = freq.get(1, 0), freq.get(2, 0)
    note = ""
    if f2 > 0:
        f0 = f1**2 / (2 * f2)
        r = f1 / f2
        var = f2 * (r**4 / 4 + r**3 + r**2 / 2)
    else:
        f0 = f1 * (f1 - 1) / 2
        total = n + f0
        var = f1 * (f1 - 1) / 2 + f1 * (2 * f1 - 1) ** 2 / 4 - f1**4 / (4 * total) if f0 else 0.0
        note = "f2 = 0: bias-corrected Chao estimator f1(f1-1)/2"
    interval = interval_method(method, interval)
    low, high = population_interval(n, f0, var, interval, alpha)
    return CountEstimate(
        "chao", n + f0, low, high, math.sqrt(max(var, 0.0)), n, interval, alpha, note
    )


def zelterman(
    data: Mapping[int, int] | pd.DataFrame,
    *,
    method: str | None = None,
    interval: str = "normal",
    alpha: float = 0.05,
) -> CountEstimate:
    """Zelterman's estimator :math:`\\hat N = n / (1 - e^{-\\hat\\lambda})`.

    The rate is estimated from people seen once and twice only,
    :math:`\\hat\\lambda = 2f_2/f_1`.

    Parameters
    ----------
    data : mapping or DataFrame
        Frequencies; needs :math:`f_1 > 0` and :math:`f_2 > 0`.
    method : {"normal", "lognormal"}
        Interval type (``interval=`` is the former name, kept for one release).
    alpha : float, default 0.05

    Returns
    -------
    CountEstimate

    Notes
    -----
    :math:`\\hat\\lambda` uses only :math:`f_1, f_2`, so it is robust to heterogeneity
    among the frequently seen. Variance (Böhning 2008, conditioning), with
    :math:`G = e^{-\\hat\\lambda}`:
    :math:`n G/(1-G)^2 + \\{nG/(1-G)^2\\}^2 \\hat\\lambda^2 (1/f_1 + 1/f_2)`.
    The normal interval agrees with R ``singleRcapture::estimatePopsize(capture ~ 1,
    model = "zelterman")``.

    References
    ----------
    Zelterman D (1988). Robust estimation in truncated discrete distributions with
    application to capture-recapture experiments. J Stat Plan Inference 18:225-237.
    Böhning D (2008). A simple variance formula for population size estimators by
    conditioning. Statistical Methodology 5:410-423.
    """
    freq = frequency_table(data)
    n = sum(freq.values())
    f1, f2 = freq.get(1, 0), freq.get(2, 0)
    if f1 == 0 or f2 == 0:
        raise ValueError(
            f"Zelterman's estimator needs people seen once and twice (f1 = {f1}, f2 = {f2})"
        )
    lam = 2 * f2 / f1
    g = math.exp(-lam)
    f0 = n / (1 - g) - n
    grad = n * g / (1 - g) ** 2
    var = grad + grad**2 * lam**2 * (1 / f1 + 1 / f2)
    interval = interval_method(method, interval)
    low, high = population_interval(n, f0, var, interval, alpha)
    return CountEstimate("zelterman", n + f0, low, high, math.sqrt(var), n, interval, alpha)


def count_estimators(
    data: Mapping[int, int] | pd.DataFrame, *, alpha: float = 0.05
) -> list[CountEstimate]:
    """Chao, Zelterman and zero-truncated Poisson estimates for one frequency table.

    An estimator that these frequencies do not allow (e.g. Zelterman with :math:`f_2 = 0`)
    is left out of the list; ``ValueError`` is raised only when none can be computed.

    Examples
    --------
    >>> [round(m.estimate) for m in count_estimators({1: 1645, 2: 183, 3: 37, 4: 13, 5: 1, 6: 1})]
    [9274, 9425, 7080]
    """
    results, errors = [], []
    for estimator in (chao, zelterman, ztpoisson):
        try:
            results.append(estimator(data, alpha=alpha))
        except ValueError as error:
            errors.append(str(error))
    if not results:
        raise ValueError("; ".join(errors))
    return results
