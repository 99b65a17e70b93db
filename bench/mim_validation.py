"""Validate the multivariate indicator method (MIM) against the simulator's truth.

For each seed: simulate Kyrgyzstan's population and its contacts (the simulator's
population and list layer, no database), count each region's indicators of 2003 as the
registry would (people, by their region), estimate three *anchor* regions by
capture-recapture on four lists linked by client code exactly as a job links them, run
MIM for every region, and compare with the true number of active users. The anchors are
what a MIM study reads from an approved capture-recapture study: the payload of the
study's default parameters (``--analysis`` another analysis), its ``estimate`` read by
:meth:`Estimate.of_payload` and taken to a 95% interval by the MIM study's ``_at_95``.

Indicators per region (people counted once): treatment entrants (a treatment episode
admitted in the year), people on the dispensary register at the year's end, new
registrations (a registration opened in the year), people who inject drugs tested for HIV
at the AIDS centre, people on the police list, people on the prison-health list. These
are what the registry's analytics and uploads give; HIV positives among PWID are left
out because small regions have none in some runs (the method takes logarithms).

    nice -n 19 .venv/bin/python bench/mim_validation.py [--runs 50] [--scale 1.0]
        [--country KG] [--anchors KG-GB,KG-O,KG-N] [--analysis dga | average:aic]
        [--tau2-plug-in] [--out /tmp/mim-validation.json]
    .venv/bin/python bench/mim_validation.py --refit RUNS.json --anchors A,B,C [--tau2-plug-in]

Prints the coverage of the 95% intervals and the bias by region, and writes every run
to ``--out`` (JSON) so the figures can be re-tabulated.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from estimation.capture_recapture import CaptureHistories  # noqa: E402
from estimation.mim import mim_estimate  # noqa: E402
from registry.simulation.identities import Coder  # noqa: E402
from registry.simulation.outputs import LIST_SOURCES  # noqa: E402
from registry.simulation.register import PROGRAMME as REGISTRATION  # noqa: E402
from registry.simulation.simulate import simulate  # noqa: E402

KEY = "validation-linkage-key-not-secret-0123456789"
YEAR = 2003
ANCHORS = ("KG-GB", "KG-O", "KG-N")  # a large city, a large oblast, the smallest region
TREATMENT = ("detoxification", "outpatient", "inpatient_rehabilitation")


def _year(dates: np.ndarray) -> np.ndarray:
    return dates.astype("datetime64[Y]").astype(int) + 1970


def indicators(sim, year: int = YEAR) -> pd.DataFrame:
    """Regions x indicators of ``year``: people counted once, by their region."""
    pop, ep, contacts = sim.population, sim.episodes, sim.contacts
    n = len(sim.region_codes)
    programme = np.asarray(ep.programme.labels)[ep.programme.codes]
    admitted = _year(ep.admission) == year
    end = np.datetime64(f"{year}-12-31")
    open_at_end = np.isnat(ep.discharge) | (ep.discharge > end)

    def people(persons: np.ndarray) -> np.ndarray:
        return np.bincount(pop.region[np.unique(persons)], minlength=n)

    registration = programme == REGISTRATION
    columns = {
        "entrants": people(ep.person[admitted & np.isin(programme, TREATMENT)]),
        "registered": people(ep.person[registration & (ep.admission <= end) & open_at_end]),
        "new_registrations": people(ep.person[registration & admitted]),
    }
    tested = contacts.hiv_test_person[_year(contacts.hiv_test_date) == year]
    columns["pwid_hiv_tested"] = people(tested[pop.injects[tested]])
    for source in ("police", "prison"):
        person_attr, date_attr = LIST_SOURCES[source]
        persons = getattr(contacts, person_attr)
        columns[source] = people(persons[_year(getattr(contacts, date_attr)) == year])
    return pd.DataFrame(columns, index=sim.region_codes)


def regional_lists(sim, region: int, coder: Coder, year: int = YEAR) -> dict[str, set[str]]:
    """Client codes of each list in ``year`` for people of ``region`` (typed per contact)."""
    ep = sim.episodes
    keep = (_year(ep.admission) == year) & (sim.population.region[ep.person] == region)
    lists = {"registry": {coder.typed_code(sim.identities, int(ep.person[i]), ep.typing, int(i))
                          for i in np.flatnonzero(keep)}}  # fmt: skip
    for source, (person_attr, date_attr) in LIST_SOURCES.items():
        persons, dates = getattr(sim.contacts, person_attr), getattr(sim.contacts, date_attr)
        rows = np.flatnonzero((_year(dates) == year) & (sim.population.region[persons] == region))
        lists[source] = {coder.typed_code(sim.identities, int(persons[k]), sim.typing[source],
                                          int(k)) for k in rows}  # fmt: skip
    return lists


def anchor_estimate(
    sim, region: int, coder: Coder, analysis: str | None = None
) -> tuple[float, tuple[float, float], str | None]:
    """One region's capture-recapture study (the default parameters, or ``analysis``) as a
    MIM study reads it: ``(estimate, 95% interval, what the default chose)``."""
    from registry.services.methods import capture_recapture as method
    from registry.services.methods.base import Estimate
    from registry.services.methods.capture_recapture_payload import capture_recapture
    from registry.services.methods.mim import _at_95
    from registry.services.methods.payload import EstimatingPayload

    histories = CaptureHistories.from_sets(regional_lists(sim, region, coder))
    name, _, criterion = (analysis or "").partition(":")  # "dga", "average:aic" ...
    given = {"analysis": name} if name else {}
    parameters = method.METHOD.parameters().load(
        given | ({"criterion": criterion} if criterion else {})
    )
    payload = capture_recapture(histories, parameters, registered=0)
    estimate = Estimate.of_payload(EstimatingPayload.load(payload))
    level = 1 - float(parameters["alpha"])
    anchor = {"abundance": estimate.abundance, "ci_low": estimate.ci_low,
              "ci_high": estimate.ci_high, "level": level}  # fmt: skip
    selection = payload.get("selection") or {}
    chosen = selection.get("used") or payload.get("analysis")
    if selection.get("reason"):
        chosen = f"{chosen}: {selection['reason']}"
    return estimate.abundance, _at_95(anchor), chosen


def true_tau2(truth: dict[str, int], scores: dict[str, float]) -> float | None:
    """The regions' residual variance of log truth around its regression on the first
    component (all regions): what MIM's ``tau2`` estimates from the anchors."""
    y = np.log([max(truth[r], 1) for r in scores])
    x = np.column_stack([np.ones(len(scores)), list(scores.values())])
    residuals = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    return float(residuals @ residuals / (len(y) - 2)) if len(y) > 2 else None


def ideal_anchors(given: dict, truth: dict[str, int], seed: int) -> dict:
    """Anchors as MIM's model assumes them: each region's truth times a log-normal error
    of the same log-scale width as its capture-recapture interval, centred on the truth
    (what MIM's interval would cover if the anchors were unbiased)."""
    rng = np.random.default_rng([seed, 1])
    out = {}
    for code, (_, (low, high)) in given.items():
        se = (np.log(high) - np.log(low)) / (2 * 1.959964)
        estimate = truth[code] * float(np.exp(rng.normal(0, se)))
        out[code] = (
            estimate,
            (estimate * np.exp(-1.959964 * se), estimate * np.exp(1.959964 * se)),
        )
    return out


def one_run(
    seed: int,
    scale: float,
    anchors: tuple[str, ...],
    country: str = "KG",
    analysis: str | None = None,
    **options,
) -> dict:
    """One seeded simulation: truth, anchors, MIM, per region (``options``: MIM's)."""
    sim = simulate(country, YEAR, YEAR, scale=scale, seed=seed)
    users = np.bincount(sim.population.region[sim.population.active(YEAR)],
                        minlength=len(sim.region_codes))  # fmt: skip
    table = indicators(sim)
    coder = Coder(KEY)
    found = {code: anchor_estimate(sim, sim.region_codes.index(code), coder, analysis)
             for code in anchors}  # fmt: skip
    given = {code: (estimate, interval) for code, (estimate, interval, _) in found.items()}
    truth = dict(zip(sim.region_codes, map(int, users), strict=True))
    return {
        "seed": seed,
        "truth": truth,
        "anchors": {k: [v[0], *v[1]] for k, v in given.items()},
        "anchor_analysis": {k: v[2] for k, v in found.items()},
        "indicators": table.to_dict(orient="index"),
        **fit(table, given, truth, seed, **options),
    }


def fit(table: pd.DataFrame, given: dict, truth: dict[str, int], seed: int, **options) -> dict:
    """MIM on the run's anchors, and on ideal anchors (``options``: ``mim_estimate``'s)."""
    result = mim_estimate(table, given, seed=seed, **options)
    ideal = mim_estimate(table, ideal_anchors(given, truth, seed), seed=seed, **options)
    scores = {r.region: r.scores[0] for r in result.regions}
    return {
        "scores": scores,
        "true_tau2": true_tau2(truth, scores),
        "mim": {r.region: [r.estimate, r.ci_low, r.ci_high] for r in result.regions},
        "national": [result.national.estimate, result.national.ci_low, result.national.ci_high],
        "ideal": {r.region: [r.estimate, r.ci_low, r.ci_high] for r in ideal.regions},
        "tau2": result.fit.tau2,
        "variance_explained": result.pca.variance_explained[0],
    }


def refit(runs: list[dict], anchors: tuple[str, ...], **options) -> list[dict]:
    """The stored runs' MIM again, on a subset of their anchors or with other options."""
    out = []
    for run in runs:
        table = pd.DataFrame.from_dict(run["indicators"], orient="index")
        given = {k: (run["anchors"][k][0], tuple(run["anchors"][k][1:])) for k in anchors}
        kept = {k: run[k] for k in ("seed", "truth", "indicators")}
        kept["anchors"] = {k: run["anchors"][k] for k in anchors}
        kept["anchor_analysis"] = {k: run["anchor_analysis"][k] for k in anchors}
        out.append({**kept, **fit(table, given, run["truth"], run["seed"], **options)})
    return out


def summary(runs: list[dict], anchors: tuple[str, ...]) -> str:
    """Coverage and bias by region (non-anchors), the anchors' own, and the national total."""
    lines = ["| region | role | true users (mean) | coverage of the 95% interval | median "
             "relative bias | mean relative bias | median interval width / truth |",
             "|---|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    regions = list(runs[0]["truth"])
    covered_all = []
    for region in [*regions, "national"]:
        truth = np.array([r["truth"][region] if region != "national" else sum(r["truth"].values())
                          for r in runs], float)  # fmt: skip
        if region == "national":
            est = np.array([r["national"] for r in runs])
            role = "total"
        else:
            est = np.array([r["mim"][region] for r in runs])
            role = "anchor (MIM fit)" if region in anchors else "estimated"
        covered = (est[:, 1] <= truth) & (truth <= est[:, 2])
        if role == "estimated":
            covered_all.extend(covered)
        bias = est[:, 0] / truth - 1
        width = (est[:, 2] - est[:, 1]) / truth
        lines.append(
            f"| {region} | {role} | {truth.mean():,.0f} | {covered.mean():.0%} | "
            f"{np.median(bias):+.1%} | {bias.mean():+.1%} | {np.median(width):.2f} |"
        )
    for region in anchors:
        truth = np.array([r["truth"][region] for r in runs], float)
        est = np.array([r["anchors"][region] for r in runs])
        covered = (est[:, 1] <= truth) & (truth <= est[:, 2])
        bias = est[:, 0] / truth - 1
        width = (est[:, 2] - est[:, 1]) / truth
        lines.append(f"| {region} | anchor (capture-recapture) | {truth.mean():,.0f} | "
                     f"{covered.mean():.0%} | {np.median(bias):+.1%} | {bias.mean():+.1%} | "
                     f"{np.median(width):.2f} |")  # fmt: skip
    lines.append("")
    estimated = [r for r in regions if r not in anchors]
    ideal = [r["ideal"][g][1] <= r["truth"][g] <= r["ideal"][g][2]
             for r in runs if "ideal" in r for g in estimated]  # fmt: skip
    if ideal:
        lines.append(f"With ideal anchors (unbiased, log-normal errors of the same widths): "
                     f"coverage {np.mean(ideal):.1%} over {len(ideal)} intervals.")  # fmt: skip
    tau2 = np.array([r["tau2"] for r in runs])
    true = np.array([r.get("true_tau2") or np.nan for r in runs])
    lines.append(f"tau2 estimated 0 in {np.mean(tau2 == 0):.0%} of runs; the regions' true "
                 f"residual variance around the first component: median {np.nanmedian(true):.4f}"
                 f" (90th percentile {np.nanquantile(true, 0.9):.4f}).")  # fmt: skip
    chosen = [c for r in runs for c in r.get("anchor_analysis", {}).values()]
    if chosen:
        kinds = pd.Series(chosen).value_counts(normalize=True)
        lines.append("Anchor analyses: " + ", ".join(f"{k} {v:.0%}" for k, v in kinds.items()))
    lines.append(f"Estimated (non-anchor) regions together: coverage "
                 f"{np.mean(covered_all):.1%} over {len(covered_all)} intervals.")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--country", default="KG", help="KG, KZ, TJ or UZ")
    parser.add_argument("--anchors", default=",".join(ANCHORS), help="region codes")
    parser.add_argument(
        "--analysis",
        default=None,
        help="the anchors' capture-recapture analysis, e.g. dga or average:aic (analysis and "
        "criterion; default: the study's defaults)",
    )
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "mim-validation.json"))
    parser.add_argument(
        "--tau2-plug-in",
        action="store_true",
        help="plug in tau2's estimate instead of drawing it in the bootstrap",
    )
    parser.add_argument(
        "--refit",
        metavar="RUNS.json",
        help="no simulation: MIM again on the stored runs (--anchors a subset)",
    )
    args = parser.parse_args()
    anchors = tuple(args.anchors.split(","))
    options = {"tau2_uncertainty": False} if args.tau2_plug_in else {}
    if args.refit:
        runs = refit(json.loads(Path(args.refit).read_text()), anchors, **options)
        Path(args.out).write_text(json.dumps(runs))
        print(f"{len(runs)} runs refitted from {args.refit}, anchors {', '.join(anchors)}, "
              f"{'tau2 plug-in' if options else 'tau2 drawn'}")  # fmt: skip
        print(summary(runs, anchors))
        return
    runs, started = [], time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.runs):
        runs.append(one_run(seed, args.scale, anchors, args.country, args.analysis, **options))
        Path(args.out).write_text(json.dumps(runs))
        print(f"seed {seed}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print(f"{len(runs)} runs, {args.country} {YEAR}, scale {args.scale}, "
          f"anchors {', '.join(anchors)} ({args.analysis or 'default analysis'}), "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    print(summary(runs, anchors))


if __name__ == "__main__":
    main()
