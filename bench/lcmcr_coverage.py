"""Coverage of LCMCR's 95% posterior interval where catchability differs between people.

Each seeded data set draws a population of known size N from latent classes that lists
catch with different probabilities (the heterogeneity LCMCR models and log-linear models
miss), runs LCMCR and the log-linear AIC model average (``search_models`` +
``model_average`` with Chao's interval, the command line's ``--search aic``) on the same
lists, and records whether each 95% interval holds N. The table goes into
docs/validation.md.

Run (long: minutes per 10 data sets on a shared machine; results stream to --out)::

    nice -n 19 .venv/bin/python bench/lcmcr_coverage.py --datasets 100 --out /tmp/cov.csv

``--burn-in/--samples/--thinning`` shorten the sampler (the defaults are LCMCR's).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from estimation.capture_recapture import model_average, search_models  # noqa: E402
from estimation.capture_recapture.lcmcr import lcmcr  # noqa: E402
from estimation.capture_recapture.scenarios import (  # noqa: E402
    MANRIQUE_VALLIER_2016,
    simulate_latent_classes,
)

# Two latent classes; within a class the lists are independent (the model LCMCR assumes,
# with K unknown). "moderate": four lists, 40% easy to catch, 60% half as catchable (41% of
# them on no list); "moderate-5": the same with a fifth list (33% of them on no list);
# "hard": four lists, 30% easy, 70% rarely caught (69% of them on no list, most of the
# rest on one list only): the hidden class is barely seen in the data. "manrique-vallier":
# the simulation of Manrique-Vallier (2016), five lists, 90% rarely caught and 10% almost
# always (parameters as in public re-runs of that study); 64% of people on no list.
SCENARIOS = {
    "manrique-vallier": {
        "population": 2000,
        "class_shares": MANRIQUE_VALLIER_2016[0],
        "probabilities": MANRIQUE_VALLIER_2016[1],
    },
    "moderate": {
        "population": 2000,
        "class_shares": (0.4, 0.6),
        "probabilities": ((0.50, 0.40, 0.45, 0.40), (0.20, 0.15, 0.25, 0.20)),
    },
    "moderate-5": {  # the same two classes seen by a fifth list
        "population": 2000,
        "class_shares": (0.4, 0.6),
        "probabilities": ((0.50, 0.40, 0.45, 0.40, 0.50), (0.20, 0.15, 0.25, 0.20, 0.20)),
    },
    "hard": {
        "population": 2000,
        "class_shares": (0.3, 0.7),
        "probabilities": ((0.45, 0.35, 0.40, 0.30), (0.08, 0.12, 0.10, 0.06)),
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="moderate")
    parser.add_argument("--population", type=int, help="true N (default: the scenario's)")
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--burn-in", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=1_000)
    parser.add_argument("--thinning", type=int, default=100)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--out", default="lcmcr_coverage.csv")
    args = parser.parse_args()
    scenario = SCENARIOS[args.scenario]
    truth = args.population or scenario["population"]
    fields = ["seed", "observed", "lcmcr_median", "lcmcr_low", "lcmcr_high", "rhat", "ess",
              "avg_estimate", "avg_low", "avg_high"]  # fmt: skip
    done = set()
    if os.path.exists(args.out):
        with open(args.out, newline="") as handle:
            done = {int(row["seed"]) for row in csv.DictReader(handle)}
    start = time.perf_counter()
    with open(args.out, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        if not done:
            writer.writeheader()
        for seed in range(args.first_seed, args.first_seed + args.datasets):
            if seed in done:
                continue
            rng = np.random.default_rng([2026, seed])
            histories = simulate_latent_classes(
                truth, scenario["class_shares"], scenario["probabilities"], rng
            )
            post = lcmcr(
                histories,
                seed=seed,
                chains=args.chains,
                burn_in=args.burn_in,
                samples=args.samples,
                thinning=args.thinning,
            )
            low, high = post.conf_int()
            average = model_average(search_models(histories, criterion="aic"), criterion="aic")
            avg_low, avg_high = average.conf_int(0.05)
            writer.writerow(
                {
                    "seed": seed,
                    "observed": histories.observed,
                    "lcmcr_median": post.median,
                    "lcmcr_low": low,
                    "lcmcr_high": high,
                    "rhat": post.details["rhat"],
                    "ess": post.details["ess"],
                    "avg_estimate": average.abundance,
                    "avg_low": avg_low,
                    "avg_high": avg_high,
                }
            )
            handle.flush()
            print(f"seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
    summarise(args.out, truth)


def summarise(path: str, truth: int) -> None:
    """Print coverage, median relative bias and median interval width of both methods."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    table = {key: np.array([float(row[key]) for row in rows]) for key in rows[0]}
    print(f"data sets: {len(rows)}; N = {truth}; mean observed {table['observed'].mean():.0f}")
    for name, est, low, high in (
        ("LCMCR (posterior median, 95% equal-tailed)", "lcmcr_median", "lcmcr_low",
         "lcmcr_high"),
        ("log-linear AIC average (Chao interval)", "avg_estimate", "avg_low", "avg_high"),
    ):  # fmt: skip
        cover = np.mean((table[low] <= truth) & (truth <= table[high]))
        bias = np.median(table[est] / truth - 1)
        width = np.median((table[high] - table[low]) / truth)
        print(
            f"{name}: coverage {100 * cover:.0f}%, median bias {100 * bias:+.1f}%, "
            f"median width {width:.2f} N"
        )
    print(
        f"LCMCR R-hat >= 1.01 in {np.sum(table['rhat'] >= 1.01)} data sets; "
        f"ESS <= 400 in {np.sum(table['ess'] <= 400)}"
    )


if __name__ == "__main__":
    main()
