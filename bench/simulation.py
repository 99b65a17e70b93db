"""Simulator benchmarks: load the default demo; build a ~1,000,000-episode SQLite registry.

Prints wall time and peak memory (``resource.getrusage`` maximum resident set size of this
process and, separately, of the worker processes that validate forms in parallel). Each
part runs in its own process so the peaks do not mix::

    .venv/bin/python bench/simulation.py              # both parts
    .venv/bin/python bench/simulation.py --part demo  # or --part scale [--scale 6.3]

Targets (issue 5): the demo well under a minute; the 1,000,000-episode build under
3 minutes and 2 GiB.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Kazakhstan 1998-2004 at this scale gives about a million episodes (treatments and
#: registrations; 2.5 did before the dispensary register was modelled).
SCALE_COUNTRY, SCALE_YEARS, SCALE = "KZ", (1998, 2004), 6.3


def build(country: str, years: tuple[int, int], scale: float, workers: int) -> None:
    """Load one simulated registry into a fresh SQLite file and print the figures."""
    from registry import create_app
    from registry.extensions import db
    from registry.simulation.load import load_demo

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "registry.sqlite3"
        app = create_app({"DATABASE_URL": f"sqlite:///{path}",
                          "SECRET_KEY": secrets.token_urlsafe(48),
                          "LINKAGE_KEY": secrets.token_urlsafe(48)})  # fmt: skip
        with app.app_context():
            db.create_all()
            load_before = os.getloadavg()[0]
            start = time.perf_counter()
            result = load_demo(country, years, scale, seed=2003, workers=workers,
                               lists_out=Path(directory) / "lists")  # fmt: skip
            seconds = time.perf_counter() - start
        size = path.stat().st_size / 2**20
    usage = resource.getrusage(resource.RUSAGE_SELF)
    child_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    own, children = usage.ru_maxrss / 2**20, child_usage.ru_maxrss / 2**20
    cpu = usage.ru_utime + usage.ru_stime
    child_cpu = child_usage.ru_utime + child_usage.ru_stime
    parts = ", ".join(f"{name} {value:.1f} s" for name, value in result.seconds.items())
    print(f"{country} {years[0]}-{years[1]} scale {scale}, {workers} worker(s): "
          f"{seconds:.1f} s wall ({parts})")  # fmt: skip
    print("  " + ", ".join(f"{n:,} {name}" for name, n in result.counts.items()))
    print(f"  rejected forms: {result.rejected or 'none'}; database {size:.0f} MiB")
    steps = ", ".join(f"{name} {value:.1f} s" for name, value in result.cpu_seconds.items())
    print(f"  loader CPU by step: {steps}")
    print(f"  peak RSS: loader {own:.2f} GiB, largest child process {children:.2f} GiB")
    # CPU time depends much less than wall time on what else the machine is running
    print(f"  CPU time (user + sys): loader {cpu:.0f} s, workers and lists {child_cpu:.0f} s, "
          f"total {cpu + child_cpu:.0f} s")  # fmt: skip
    print(f"  machine load (1-min average) {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after; {os.cpu_count()} CPUs")  # fmt: skip


def main() -> None:
    """Run the parts asked for, each in a fresh interpreter."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("demo", "scale", "all"), default="all")
    parser.add_argument("--scale", type=float, default=SCALE)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--inline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inline:
        if args.part == "demo":  # what `flask demo load` does by default
            from registry.simulation.cli import DEFAULT_SCALE, DEFAULT_WORKERS

            build("KG", (1998, 2004), DEFAULT_SCALE, workers=DEFAULT_WORKERS)
        else:
            build(SCALE_COUNTRY, SCALE_YEARS, args.scale, workers=args.workers)
        return
    parts = ("demo", "scale") if args.part == "all" else (args.part,)
    for part in parts:
        print(f"== {part}", flush=True)
        command = [sys.executable, __file__, "--inline", "--part", part,
                   "--scale", str(args.scale), "--workers", str(args.workers)]  # fmt: skip
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
