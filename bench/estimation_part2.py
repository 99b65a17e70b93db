"""Timing of the heavier part-2 estimators (prints figures; never asserts).

Run: ``python bench/estimation_part2.py``. Sizes mimic national data: a 20-year HIV
surveillance series with permutation tests, a police list of 100,000 contacts with three
covariates, an OST cohort of 20,000 clients and a year of daily dosing for 2,000 clients.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from estimation.episodes import episodes_from_doses
from estimation.joinpoint import Joinpoint
from estimation.retention import kaplan_meier
from estimation.ztpoisson import ZeroTruncatedPoissonRegression


def timed(label: str, func) -> None:
    start = time.perf_counter()
    func()
    print(f"{label:<55} {time.perf_counter() - start:8.3f} s")


def main() -> None:
    rng = np.random.default_rng(2026)
    years = np.arange(2000, 2020, dtype=float)
    y = np.where(years < 2010, 0.2 * (years - 2000), 2 - 0.05 * (years - 2010))
    y = y + rng.normal(0, 0.05, len(years))
    timed("joinpoint, 20 years, BIC (K = 3)", lambda: Joinpoint().fit(years, y))
    timed(
        "joinpoint, 20 years, permutation tests (999 each)",
        lambda: Joinpoint(selection="permutation", seed=1).fit(years, y),
    )

    years30 = np.arange(1990, 2020, dtype=float)
    y30 = np.where(years30 < 2005, 0.1 * (years30 - 1990), 1.5 - 0.05 * (years30 - 2005))
    y30 = y30 + rng.normal(0, 0.05, len(years30))
    timed("joinpoint, 30 years, BIC (K = 5)", lambda: Joinpoint().fit(years30, y30))
    timed(
        "joinpoint, 30 years, permutation tests (999 each)",
        lambda: Joinpoint(selection="permutation", seed=1).fit(years30, y30),
    )

    n = 100_000
    x = np.column_stack([rng.integers(0, 2, n), rng.normal(size=n), rng.integers(0, 2, n)])
    counts = rng.poisson(np.exp(-1.0 + 0.3 * x[:, 0] + 0.5 * x[:, 1] - 0.4 * x[:, 2]))
    keep = counts > 0
    timed(
        f"zero-truncated Poisson regression, {keep.sum():,} people",
        lambda: ZeroTruncatedPoissonRegression().fit(x[keep], counts[keep]),
    )

    durations = rng.exponential(400, 20_000).round()
    events = (durations < 730).astype(int)
    timed("Kaplan-Meier, 20,000 clients", lambda: kaplan_meier(np.minimum(durations, 730), events))

    days = pd.date_range("2024-01-01", "2024-12-31")
    doses = pd.DataFrame(
        {
            "client_id": np.repeat(np.arange(2000), len(days)),
            "date": np.tile(days, 2000),
        }
    ).sample(frac=0.9, random_state=1)
    timed(
        f"interruption-rule episodes, {len(doses):,} doses",
        lambda: episodes_from_doses(doses, analysis_date="2024-12-31"),
    )


if __name__ == "__main__":
    main()
