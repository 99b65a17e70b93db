"""Coverage study of the capture-recapture analyses on histories with a known size.

For every cell (scenario of :mod:`~estimation.capture_recapture.scenarios`, population
size ``N``, number of lists) and seeded replicate, draw the histories and run each
analysis the registry's studies offer; record its estimate and 95% interval. A summary per
cell and analysis gives how often the interval contains ``N``, the median relative bias
``(estimate - N) / N``, the median interval width ``/ N`` and the failures (an exception,
a fit that is not usable or a non-finite interval), which count as not covering.

Analyses are pluggable: :data:`ANALYSES` maps a name to a function of a
:class:`DataSet`; :func:`available_analyses` adds the Bayesian ones (``dga``, ``lcmcr``)
when their modules can be imported. Records are one JSON object per line
(:func:`run_records` appends and flushes each data set's, and skips what a file already
holds), so an interrupted run keeps what it did. ``bench/capture_recapture_coverage.py``
runs it and writes the table of docs/validation.md.
"""

from __future__ import annotations

import importlib
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from estimation.capture_recapture.averaging import model_average
from estimation.capture_recapture.bootstrap import bootstrap
from estimation.capture_recapture.diagnostics import (
    auto_average,
    heavy_saturated_weight,
    heterogeneity_check,
    without_saturated,
)
from estimation.capture_recapture.histories import CaptureHistories
from estimation.capture_recapture.models import closed_population_models, fit_loglinear
from estimation.capture_recapture.results import LoglinearResult, ModelTable
from estimation.capture_recapture.scenarios import SCENARIOS, simulate_scenario
from estimation.capture_recapture.search import search_models
from estimation.capture_recapture.stepwise import stepwise

__all__ = [
    "ANALYSES",
    "Cell",
    "DataSet",
    "Outcome",
    "available_analyses",
    "run_records",
    "summarise",
]

ALPHA = 0.05
#: Bootstrap replicates per data set in the study (the registry's default is 1,000).
BOOTSTRAP_REPLICATES = 200


@dataclass(frozen=True)
class Cell:
    """One cell of the study: a scenario, a true population size and a number of lists."""

    scenario: str
    population: int
    lists: int

    def seed(self, replicate: int) -> list[int]:
        """The replicate's seed: the same cell and replicate give the same histories."""
        index = list(SCENARIOS).index(self.scenario)
        return [replicate, index, self.population, self.lists]


@dataclass
class DataSet:
    """One replicate's histories, with the model search shared by the analyses."""

    histories: CaptureHistories
    seed: list[int]
    _tables: dict[str, ModelTable] = field(default_factory=dict)

    def search(self) -> ModelTable:
        """All hierarchical models, fitted once (ranked by AIC)."""
        if "search" not in self._tables:
            self._tables["search"] = search_models(self.histories, criterion="aic")
        return self._tables["search"]


@dataclass(frozen=True)
class Outcome:
    """An analysis's estimate and interval; ``ok`` False for a failure."""

    estimate: float
    low: float
    high: float
    ok: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def _single(result: LoglinearResult, **extra: Any) -> Outcome:
    low, high = result.conf_int(ALPHA, "lognormal")
    return Outcome(result.abundance, low, high, result.usable, {"model": result.name, **extra})


def _best(criterion: str) -> Callable[[DataSet], Outcome]:
    def run(data: DataSet) -> Outcome:
        table = data.search()
        ranked = sorted((r for r in table.results if r.usable), key=lambda r: getattr(r, criterion))
        return _single(ranked[0])

    return run


def _average(criterion: str, drop_saturated: bool = False) -> Callable[[DataSet], Outcome]:
    def run(data: DataSet) -> Outcome:
        table = data.search()
        if drop_saturated:
            table = without_saturated(table)
        averaged = model_average(table, criterion=criterion)
        low, high = averaged.conf_int(ALPHA)
        best_aic = min(r.aic for r in data.search().results if r.usable)
        extra = {"saturated_weight": heavy_saturated_weight(table, averaged), "best_aic": best_aic}
        return Outcome(averaged.abundance, low, high, True, extra)

    return run


def _default(data: DataSet) -> Outcome:
    chosen, reason, _, _ = auto_average(data.histories, data.search(), ALPHA)
    low, high = chosen.conf_int(ALPHA)
    return Outcome(chosen.abundance, low, high, True, {"reason": reason})


def _model(name: str, heterogeneity: str | None = None) -> Callable[[DataSet], Outcome]:
    def run(data: DataSet) -> Outcome:
        result = fit_loglinear(data.histories, name, heterogeneity=heterogeneity)
        return _single(result, aic=result.aic, status=result.status)

    return run


def _family(data: DataSet) -> Outcome:
    """What a ``"family"`` study shows as its estimate: the family's lowest-BIC model."""
    usable = [r for r in closed_population_models(data.histories).results if r.usable]
    if not usable:
        return Outcome(math.nan, math.nan, math.nan, False)
    return _single(min(usable, key=lambda r: r.bic))


def _stepwise(data: DataSet) -> Outcome:
    return _single(stepwise(data.histories).model)


def _bootstrap(data: DataSet) -> Outcome:
    rng = np.random.default_rng([*data.seed, 1])
    boot = bootstrap(data.histories, rng=rng, replicates=BOOTSTRAP_REPLICATES, criterion="aic")
    low, high = boot.conf_int(ALPHA)
    return Outcome(boot.abundance, low, high, boot.failures == 0)


def _heterogeneity(data: DataSet) -> Outcome:
    """Not an estimate: the heterogeneity check, whose ``detected`` the report counts."""
    check = heterogeneity_check(data.histories, data.search().results)
    if check is None:
        return Outcome(math.nan, math.nan, math.nan, False)
    low, high = check.model.conf_int(ALPHA)
    extra = {"detected": check.detected, "aic_gain": check.aic_gain, "model": check.model.name}
    return Outcome(check.model.abundance, low, high, check.model.usable, extra)


#: The analyses a capture-recapture study offers (registry/services/methods/
#: capture_recapture.py), as the study computes them: ``average_aic`` is the default,
#: ``average_auto`` the criterion ``"auto"`` (:func:`~.diagnostics.auto_average`; the
#: report derives it from the other records when it is skipped); plus
#: ``average_aic_df2``, the AIC average without models of one residual degree of freedom
#: or none, and the heterogeneity check (not an estimate: the report counts how often it
#: fires).
ANALYSES: dict[str, Callable[[DataSet], Outcome]] = {
    "average_auto": _default,
    "average_aic": _average("aic"),
    "average_bic": _average("bic"),
    "average_aic_df2": _average("aic", drop_saturated=True),
    "best_bic": _best("bic"),
    "best_aic": _best("aic"),
    "stepwise": _stepwise,
    "family": _family,
    "Mt": _model("Mt"),
    "Mth_chao": _model("Mth"),
    "Mth_darroch": _model("Mth", "Darroch"),
    "bootstrap_aic": _bootstrap,
    "heterogeneity_check": _heterogeneity,
}

#: Bayesian analyses, added when their module imports: (module, function, keywords).
BAYESIAN = {
    "dga": ("estimation.capture_recapture.dga", "dga", {}),
    "lcmcr": ("estimation.capture_recapture.lcmcr", "lcmcr", {"chains": 2}),
}


def _posterior(module: str, function: str, keywords: dict) -> Callable[[DataSet], Outcome] | None:
    try:
        estimator = getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError):
        return None

    def run(data: DataSet) -> Outcome:
        kwargs = dict(keywords, alpha=ALPHA)
        if "chains" in keywords:
            kwargs["seed"] = int(np.random.SeedSequence(data.seed).generate_state(1)[0])
        posterior = estimator(data.histories, **kwargs)
        low, high = posterior.conf_int()
        codes = [w.code for w in posterior.warnings]
        return Outcome(float(posterior.median), float(low), float(high), extra={"warnings": codes})

    return run


def available_analyses() -> dict[str, Callable[[DataSet], Outcome]]:
    """:data:`ANALYSES` and the Bayesian analyses whose modules are installed."""
    analyses = dict(ANALYSES)
    for name, spec in BAYESIAN.items():
        run = _posterior(*spec)
        if run is not None:
            analyses[name] = run
    return analyses


def run_one(cell: Cell, replicate: int, analyses: dict[str, Callable]) -> Iterator[dict]:
    """Records of every analysis on one replicate of ``cell``."""
    seed = cell.seed(replicate)
    histories = simulate_scenario(cell.scenario, population=cell.population,
                                  lists=cell.lists, seed=seed)  # fmt: skip
    data = DataSet(histories, seed)
    for name, analysis in analyses.items():
        started = time.perf_counter()
        try:
            outcome = analysis(data)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as error:
            outcome = Outcome(math.nan, math.nan, math.nan, False, {"error": str(error)[:200]})
        yield {
            "scenario": cell.scenario,
            "population": cell.population,
            "lists": cell.lists,
            "replicate": replicate,
            "observed": histories.observed,
            "analysis": name,
            "estimate": _finite(outcome.estimate),
            "low": _finite(outcome.low),
            "high": _finite(outcome.high),
            "ok": bool(outcome.ok),
            "seconds": round(time.perf_counter() - started, 4),
            **outcome.extra,
        }


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def read_records(path: Path) -> list[dict]:
    """The records of a results file (a torn last line is skipped)."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def run_records(
    path: Path,
    cells: Iterable[Cell],
    replicates: range,
    analyses: dict[str, Callable],
    *,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Append to ``path`` the records it lacks, replicate by replicate over every cell.

    The loop runs over replicates outside and cells inside, so a run stopped early has
    about as many replicates in every cell. Returns the number of data sets run.
    """
    cells = list(cells)
    done = {(r["scenario"], r["population"], r["lists"], r["replicate"], r["analysis"])
            for r in read_records(path)}  # fmt: skip
    count = 0
    torn = path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n")
    with path.open("a") as out:
        if torn:  # a run stopped mid-line: start on a line of its own
            out.write("\n")
        for replicate in replicates:
            for cell in cells:
                key = (cell.scenario, cell.population, cell.lists, replicate)
                todo = {n: a for n, a in analyses.items() if (*key, n) not in done}
                if not todo:
                    continue
                for record in run_one(cell, replicate, todo):
                    out.write(json.dumps(record) + "\n")
                out.flush()
                count += 1
                if progress is not None:
                    progress(f"{cell} replicate {replicate}")
    return count


#: Warnings after which a result page says to read the result as no estimate: the
#: report counts the data sets that carried one (their intervals still count).
NO_ESTIMATE_WARNINGS = frozenset({"saturated_graph"})


def summarise(records: Iterable[dict]) -> dict[tuple, dict[str, float]]:
    """Per ``(scenario, population, lists, analysis)``: replicates, coverage, median
    relative bias, median width / N, failures (counted as not covering) and the data sets
    warned to be no estimate (:data:`NO_ESTIMATE_WARNINGS`)."""
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["scenario"], r["population"], r["lists"], r["analysis"]), []).append(r)
    summary = {}
    for key, group in groups.items():
        truth = key[1]
        good = [r for r in group if r["ok"] and None not in (r["estimate"], r["low"], r["high"])]
        covered = sum(r["low"] <= truth <= r["high"] for r in good)
        summary[key] = {
            "replicates": len(group),
            "coverage": covered / len(group),
            "bias": _median([(r["estimate"] - truth) / truth for r in good]),
            "width": _median([(r["high"] - r["low"]) / truth for r in good]),
            "failures": len(group) - len(good),
            "no_estimate": sum(
                bool(NO_ESTIMATE_WARNINGS & set(r.get("warnings", ()))) for r in good
            ),  # fmt: skip
        }
    return summary


def _median(values: list[float]) -> float:
    return float(np.median(values)) if values else math.nan
