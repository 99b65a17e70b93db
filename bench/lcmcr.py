"""Speed of the LCMCR sampler: 4 lists, about 5,000 people, LCMCR's default run.

The reference is LCMCR's C++ sampler, about 2 s for this size (burn-in 10,000, then
1,000 draws thinned by 100: 110,000 iterations). Prints wall and CPU time of one chain
and of the default call ``lcmcr(histories)`` (its chains run in threads), and the load
average, since the machine may be shared. The first call compiles the sampler (numba,
cached on disk afterwards); its time is printed apart.

Run::

    .venv/bin/python bench/lcmcr.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from estimation.capture_recapture import CaptureHistories, history_patterns  # noqa: E402
from estimation.capture_recapture.lcmcr import DEFAULT_CHAINS, lcmcr  # noqa: E402


def four_lists(seed: int = 2026) -> CaptureHistories:
    """About 5,000 people seen on 4 lists out of 7,500, from two latent classes."""
    rng = np.random.default_rng(seed)
    population = 7_500
    hidden = rng.random(population) < 0.7
    probabilities = np.where(hidden[:, None], [0.20, 0.15, 0.20, 0.18], [0.5, 0.4, 0.45, 0.35])
    caught = (rng.random((population, 4)) < probabilities).astype(np.int64)
    return CaptureHistories.from_individuals(["A", "B", "C", "D"], caught)


def timed(label: str, call):
    load = os.getloadavg()
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{label:<44} wall {wall:6.2f} s  CPU {cpu:6.2f} s  "
        f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores)"
    )
    return result


def main() -> None:
    from estimation.capture_recapture.lcmcr_sampler import run_chain

    histories = four_lists()
    print(f"{histories.n_lists} lists, {histories.observed} people observed")
    patterns = history_patterns(histories.n_lists)
    counts = histories.counts.astype(np.int64)
    prior = (10, 0.25, 0.25)  # K, a_alpha, b_alpha
    timed(
        "compile (or load the cache)",
        lambda: run_chain(np.random.default_rng(0), patterns, counts, *prior, 1, 1, 1),
    )
    timed(
        "one chain, 110,000 iterations",
        lambda: run_chain(np.random.default_rng(1), patterns, counts, *prior, 10_000, 1_000, 100),
    )
    post = timed(
        f"lcmcr(histories, seed=1): {DEFAULT_CHAINS} chains",
        lambda: lcmcr(histories, seed=1),
    )
    low, high = post.conf_int()
    print(
        f"posterior median {post.median:.0f} (95% {low:.0f} to {high:.0f}; truth 7,500), "
        f"R-hat {post.details['rhat']:.3f}, ESS {post.details['ess']:.0f}"
    )


if __name__ == "__main__":
    main()
