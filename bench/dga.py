"""Timings of dga (Bayesian model averaging over decomposable graphs), in one process.

Run: ``.venv/bin/python bench/dga.py``

For 3 to 6 lists of a simulated population of 5,000 (independent lists, each catching a
fifth), prints the time to enumerate the decomposable graphs (once per process, cached),
then the wall-clock and CPU time of ``dga`` with its defaults (grid 0 ... 30 x observed,
refined), the grid's size and the posterior median. The machine may be shared: the load
average is printed, and CPU time is the steadier figure. No goal is set by the issue;
dga's R sources are the comparison (its graphs ship precomputed for 3-5 lists).
"""

from __future__ import annotations

import os
import time

import numpy as np

from estimation.capture_recapture import simulate_histories
from estimation.capture_recapture.decomposable import decomposable_graphs, factor_matrix
from estimation.capture_recapture.dga import dga


def timed(function):
    wall, cpu = time.perf_counter(), time.process_time()
    value = function()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(f"{'lists':>5} {'graphs':>7} {'enumerate s':>12} {'dga wall s':>11} {'dga cpu s':>10}"
          f" {'grid':>6} {'median':>8}")  # fmt: skip
    for k in (3, 4, 5, 6):
        histories = simulate_histories(
            population=5000, probabilities=[0.2] * k, rng=np.random.default_rng(k)
        )
        graphs, enumerate_wall, _ = timed(lambda k=k: (decomposable_graphs(k), factor_matrix(k)))
        post, wall, cpu = timed(lambda h=histories: dga(h))
        print(f"{k:>5} {len(graphs[0]):>7} {enumerate_wall:>12.2f} {wall:>11.2f} {cpu:>10.2f}"
              f" {post.details['grid']['points']:>6} {post.median:>8.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
