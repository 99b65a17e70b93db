"""The default capture-recapture criterion on the sparse lists of small simulated regions.

For each seed, simulate Kyrgyzstan (or ``--country``) in 2003 at scale 1.0 and link the
four lists of each region in ``--regions`` as a regional study would (identifiers typed at
each contact, as in ``bench/mim_validation.py``); record the truth, the AIC average, the
BIC average and what the criterion ``auto`` chose (``auto_average``), one JSON line per
region and seed in ``--out``; then print the coverage table of docs/validation.md, "The
default: AIC or auto".

    nice -n 10 .venv/bin/python bench/capture_recapture_regions.py --seeds 1 41 \\
        --regions KG-O,KG-B,KG-T,KG-N --out regions.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import mim_validation as mv  # noqa: E402

from estimation.capture_recapture import CaptureHistories, search_models  # noqa: E402
from estimation.capture_recapture.diagnostics import auto_average  # noqa: E402


def one_seed(country: str, seed: int, regions: list[str]) -> list[dict]:
    sim = mv.simulate(country, mv.YEAR, mv.YEAR, scale=1.0, seed=seed)
    users = np.bincount(sim.population.region[sim.population.active(mv.YEAR)],
                        minlength=len(sim.region_codes))  # fmt: skip
    coder = mv.Coder(mv.KEY)
    records = []
    for code in regions:
        region = sim.region_codes.index(code)
        histories = CaptureHistories.from_sets(mv.regional_lists(sim, region, coder))
        _, reason, by_aic, by_bic = auto_average(histories, search_models(histories))
        records.append({
            "seed": seed, "region": code, "truth": int(users[region]),
            "observed": int(histories.observed), "reason": reason,
            "aic": [by_aic.abundance, *by_aic.conf_int()],
            "bic": [by_bic.abundance, *by_bic.conf_int()],
        })  # fmt: skip
    return records


def table(records: list[dict]) -> str:
    lines = [
        "| region | runs | true users (mean) | people seen (mean) | `auto` chose BIC | `auto` "
        "coverage | AIC average coverage | BIC average coverage | median width / truth, "
        "`auto` / AIC |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for code in dict.fromkeys(r["region"] for r in records):
        rows = [{**r, "auto": r["aic"] if r["reason"] else r["bic"]}
                for r in records if r["region"] == code]  # fmt: skip

        def cover(key: str, rows: list[dict] = rows) -> str:
            share = sum(r[key][1] <= r["truth"] <= r[key][2] for r in rows) / len(rows)
            return f"{share:.0%}"

        def width(key: str, rows: list[dict] = rows) -> str:
            return f"{statistics.median((r[key][2] - r[key][1]) / r['truth'] for r in rows):.2f}"

        lines.append(
            f"| {code} | {len(rows)} | {statistics.mean(r['truth'] for r in rows):,.0f} | "
            f"{statistics.mean(r['observed'] for r in rows):,.0f} | "
            f"{sum(not r['reason'] for r in rows)} | {cover('auto')} | {cover('aic')} | "
            f"{cover('bic')} | {width('auto')} / {width('aic')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--country", default="KG")
    parser.add_argument("--regions", default="KG-O,KG-B,KG-T,KG-N")
    parser.add_argument("--seeds", type=int, nargs=2, default=[1, 41], metavar=("FIRST", "END"))
    parser.add_argument("--out", type=Path, default=Path("regions.jsonl"))
    args = parser.parse_args()
    with args.out.open("a") as out:
        for seed in range(*args.seeds):
            for record in one_seed(args.country, seed, args.regions.split(",")):
                out.write(json.dumps(record) + "\n")
            out.flush()
    print(table([json.loads(line) for line in args.out.read_text().splitlines()]))


if __name__ == "__main__":
    main()
