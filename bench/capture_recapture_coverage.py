"""Coverage of the capture-recapture analyses on simulated histories (issue 18 §6).

Runs :mod:`estimation.capture_recapture.validation` over the cells (scenario x N x lists)
and appends one JSON record per analysis and data set to ``--records`` (a checkpoint: a
stopped run keeps its records, and a rerun skips what the file holds). ``--report``
summarises the file into the capture-recapture coverage section of docs/validation.md.

    nice -n 19 .venv/bin/python bench/capture_recapture_coverage.py --replicates 200 \\
        --lists 3 4 --records /tmp/cr-coverage.jsonl
    .venv/bin/python bench/capture_recapture_coverage.py --records /tmp/cr-coverage.jsonl \\
        --report docs/validation.md

``--time`` prints the cost of one data set of each cell and analysis instead.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from estimation.capture_recapture.scenarios import SCENARIOS  # noqa: E402
from estimation.capture_recapture.validation import (  # noqa: E402
    Cell,
    available_analyses,
    read_records,
    run_one,
    run_records,
)
from estimation.capture_recapture.validation_report import report_section  # noqa: E402

START = "<!-- capture-recapture coverage: start -->"
END = "<!-- capture-recapture coverage: end -->"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=Path, default=Path("cr-coverage.jsonl"))
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--first", type=int, default=0, help="first replicate index")
    parser.add_argument("--populations", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--lists", type=int, nargs="+", default=[3, 4, 5])
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    parser.add_argument("--analyses", nargs="+", help="default: every available analysis")
    parser.add_argument("--skip", nargs="+", default=[], help="analyses left out")
    parser.add_argument("--time", action="store_true", help="time one data set per cell")
    parser.add_argument("--report", type=Path, help="write the summary into this markdown")
    args = parser.parse_args()
    analyses = available_analyses()
    print("analyses available:", ", ".join(analyses), flush=True)
    if args.analyses:
        analyses = {name: analyses[name] for name in args.analyses}
    analyses = {name: run for name, run in analyses.items() if name not in args.skip}
    cells = [Cell(s, n, k) for k in args.lists for n in args.populations for s in args.scenarios]
    if args.report:
        write_report(args.report, read_records(args.records))
        return
    if args.time:
        for cell in cells:
            costs = defaultdict(float)
            for record in run_one(cell, 10_000, analyses):
                costs[record["analysis"]] += record["seconds"]
            print(cell, " ".join(f"{n} {s:.3f}s" for n, s in costs.items()), flush=True)
        return
    started = time.perf_counter()
    replicates = range(args.first, args.first + args.replicates)
    count = run_records(args.records, cells, replicates, analyses,
                        progress=lambda text: print(text, flush=True))  # fmt: skip
    print(f"{count} data sets in {time.perf_counter() - started:.0f} s", flush=True)


def write_report(path: Path, records: list[dict]) -> None:
    """Replace the coverage section of ``path`` (between the markers) by the summary."""
    section = f"{START}\n{report_section(records)}{END}"
    text = path.read_text()
    if START in text:
        before, rest = text.split(START, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
