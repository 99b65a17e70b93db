"""Markdown tables of the capture-recapture coverage study (docs/validation.md).

:func:`report_section` turns the records of :mod:`~.validation` into one table per
scenario: a row per analysis, a column per cell (lists x N), each entry the coverage of
the 95% interval, then the median relative bias and the median interval width / N.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from estimation.capture_recapture.diagnostics import DEPENDENT_PAIRS, dependent_pairs
from estimation.capture_recapture.results import LoglinearResult
from estimation.capture_recapture.scenarios import SCENARIOS
from estimation.capture_recapture.validation import summarise

__all__ = ["LABELS", "report_section"]

LABELS = {
    "average_aic": "**default: AIC average** (Chao interval)",
    "average_auto": "`auto`: BIC average, AIC average on a warning (Chao interval)",
    "average_bic": "BIC average, Chao interval",
    "average_aic_df2": "AIC average without models of df <= 1",
    "best_bic": "BIC-best model, log-normal interval",
    "best_aic": "AIC-best model, conditional interval",
    "stepwise": "stepwise (SparseMSE)",
    "family": "family table's estimate (its lowest-BIC model)",
    "Mt": "Mt",
    "Mth_chao": "Mth Chao (LB)",
    "Mth_darroch": "Mth Darroch",
    "bootstrap_aic": "bootstrap (AIC selection, 200 replicates, percentile)",
    "dga": "dga (posterior median, 95% credible interval)",
    "lcmcr": "LCMCR (posterior median, 95% credible interval)",
}


def _entry(cell: dict | None, replicates: int) -> str:
    """``coverage (bias, width)``, with the failures and, when fewer than the cell's
    ``replicates``, the data sets this analysis ran on."""
    if cell is None:
        return "-"
    bias = "-" if math.isnan(cell["bias"]) else f"{100 * cell['bias']:+.0f}%"
    width = "-" if math.isnan(cell["width"]) else f"{cell['width']:.2f}"
    failed = f", {cell['failures']} failed" if cell["failures"] else ""
    if cell.get("no_estimate"):
        failed += f", {cell['no_estimate']} warned no estimate"
    fewer = f", n = {cell['replicates']}" if cell["replicates"] < replicates else ""
    return f"{100 * cell['coverage']:.0f}% ({bias}, {width}{failed}{fewer})"


def derive_auto(records: list[dict]) -> list[dict]:
    """Records of ``average_auto`` computed from the records of the BIC and AIC averages
    and the heterogeneity check of the same data set, where the run has none (it is the
    same computation: :func:`~.diagnostics.auto_average`)."""
    by_set: dict[tuple, dict[str, dict]] = {}
    for r in records:
        key = (r["scenario"], r["population"], r["lists"], r["replicate"])
        by_set.setdefault(key, {})[r["analysis"]] = r
    derived = []
    for group in by_set.values():
        needed = ("average_bic", "average_aic", "heterogeneity_check", "best_bic")
        if "average_auto" in group or not all(n in group for n in needed):
            continue
        bic, aic, check = (group[n] for n in needed[:3])
        reason = None
        if check.get("detected"):
            reason = "heterogeneity"
        elif not bic["low"] <= aic["estimate"] <= bic["high"]:
            reason = "criteria_disagree"
        elif _pairs(group["best_bic"]["model"], group["best_bic"]["lists"]) >= DEPENDENT_PAIRS:
            reason = "dependence"
        chosen = bic if reason is None else aic
        derived.append({**chosen, "analysis": "average_auto", "reason": reason})
    return derived


def _pairs(name: str, lists: int) -> int:
    return dependent_pairs(LoglinearResult(name, ("",) * lists, 0, 0.0, 0.0, 0.0, 0, 0.0, 0.0))


def report_section(records: Iterable[dict]) -> str:
    """The tables of every scenario in the records, with the replicates of each cell."""
    records = list(records)
    records += derive_auto(records)
    summary = summarise(r for r in records if r["analysis"] != "heterogeneity_check")
    cells = sorted({(k[2], k[1]) for k in summary})
    analyses = [a for a in LABELS if any(k[3] == a for k in summary)]
    analyses += sorted({k[3] for k in summary} - set(analyses))
    lines = []
    for scenario in (s for s in SCENARIOS if any(k[0] == s for k in summary)):
        lines += [f"#### Scenario `{scenario}`: {SCENARIOS[scenario].description}", ""]
        header = " | ".join(f"{k} lists, N {n:,}" for k, n in cells)
        lines += [f"| analysis | {header} |", "|---|" + "---:|" * len(cells)]
        counts = [
            max(
                (v["replicates"] for key, v in summary.items() if key[:3] == (scenario, n, k)),
                default=0,
            )  # fmt: skip
            for k, n in cells
        ]
        for analysis in analyses:
            row = [_entry(summary.get((scenario, n, k, analysis)), count)
                   for (k, n), count in zip(cells, counts, strict=True)]  # fmt: skip
            if all(entry == "-" for entry in row):
                continue
            lines.append(f"| {LABELS.get(analysis, analysis)} | " + " | ".join(row) + " |")
        lines.append("| *replicates* | " + " | ".join(str(c) for c in counts) + " |")
        lines.append("")
    return "\n".join(lines + warning_rates(records)) + "\n"


def warning_rates(records: list[dict]) -> list[str]:
    """How often each warning fires, per scenario and cell: the heterogeneity check (its
    model fits better; its estimate lies outside the default AIC average's interval; a
    study warns on either), the criterion ``auto``'s switch to the AIC average, and (3
    lists) a heavy weight on df <= 1 models."""
    averages = {_data_set(r): (r["low"], r["high"]) for r in records
                if r["analysis"] == "average_aic" and r.get("ok")}  # fmt: skip
    counts: dict[tuple, list[int]] = {}
    for r in records:
        cell = (r["scenario"], r["lists"], r["population"])
        for name, fired in _flags(r, averages.get(_data_set(r))):
            tally = counts.setdefault((name, *cell), [0, 0])
            tally[0] += fired
            tally[1] += 1
    if not counts:
        return []
    cells = sorted({key[2:] for key in counts})
    header = " | ".join(f"{k} lists, N {n:,}" for k, n in cells)
    lines = ["#### How often the warnings fire", "",
             f"| warning | scenario | {header} |", "|---|---|" + "---:|" * len(cells)]  # fmt: skip
    for flag in sorted({key[0] for key in counts}):
        for scenario in SCENARIOS:
            row = [counts.get((flag, scenario, *cell)) for cell in cells]
            if not any(row):
                continue
            text = ["-" if t is None else f"{100 * t[0] / t[1]:.0f}%" for t in row]
            lines.append(f"| {flag} | `{scenario}` | " + " | ".join(text) + " |")
    return lines + [""]


def _data_set(record: dict) -> tuple:
    return record["scenario"], record["population"], record["lists"], record["replicate"]


def _flags(r: dict, average: tuple[float, float] | None) -> list[tuple[str, bool]]:
    """The warnings ``r`` tells about, each with whether it fired (``average``: the AIC
    average's interval on the same data set)."""
    if r["analysis"] == "heterogeneity_check":
        flags = [("heterogeneity detected", bool(r.get("detected")))]
        if average is not None and r.get("estimate") is not None:
            outside = not average[0] <= r["estimate"] <= average[1]
            flags += [("heterogeneity model outside the AIC average's interval", outside),
                      ("heterogeneity warning of a study (either)",
                       outside or bool(r.get("detected")))]  # fmt: skip
        return flags
    if r["analysis"] == "average_auto":
        return [("`auto` switched to AIC", r.get("reason") is not None)]
    if r["analysis"] in ("average_bic", "average_aic") and r["lists"] == 3:
        label = "BIC" if r["analysis"] == "average_bic" else "AIC"
        return [(f"{label} average: df <= 1 weight > 0.5", (r.get("saturated_weight") or 0) > 0.5)]
    return []
