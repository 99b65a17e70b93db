"""Markdown tables of the capture-recapture coverage study (docs/validation.md).

:func:`report_section` turns the records of :mod:`~.validation` into one table per
scenario: a row per analysis, a column per cell (lists x N), each entry the coverage of
the 95% interval, then the median relative bias and the median interval width / N.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from estimation.capture_recapture.scenarios import SCENARIOS
from estimation.capture_recapture.validation import summarise

__all__ = ["LABELS", "report_section"]

LABELS = {
    "average_aic": "AIC average, Chao interval (the old default)",
    "average_bic": "BIC average, Chao interval",
    "average_aic_df2": "AIC average without models of df <= 1",
    "best_bic": "BIC-best model, log-normal interval",
    "best_aic": "AIC-best model, conditional interval",
    "stepwise": "stepwise (SparseMSE)",
    "Mt": "Mt",
    "Mth_chao": "Mth Chao (LB)",
    "Mth_darroch": "Mth Darroch",
    "bootstrap_aic": "bootstrap (AIC selection, 200 replicates, percentile)",
    "dga": "dga (posterior median, 95% credible interval)",
    "lcmcr": "LCMCR (posterior median, 95% credible interval)",
}


def _entry(cell: dict | None) -> str:
    if cell is None:
        return "-"
    bias = "-" if math.isnan(cell["bias"]) else f"{100 * cell['bias']:+.0f}%"
    width = "-" if math.isnan(cell["width"]) else f"{cell['width']:.2f}"
    failed = f", {cell['failures']} failed" if cell["failures"] else ""
    return f"{100 * cell['coverage']:.0f}% ({bias}, {width}{failed})"


def report_section(records: Iterable[dict]) -> str:
    """The tables of every scenario in the records, with the replicates of each cell."""
    summary = summarise(records)
    cells = sorted({(k[2], k[1]) for k in summary})
    analyses = [a for a in LABELS if any(k[3] == a for k in summary)]
    analyses += sorted({k[3] for k in summary} - set(analyses))
    lines = []
    for scenario in (s for s in SCENARIOS if any(k[0] == s for k in summary)):
        lines += [f"#### Scenario `{scenario}`: {SCENARIOS[scenario].description}", ""]
        header = " | ".join(f"{k} lists, N {n:,}" for k, n in cells)
        lines += [f"| analysis | {header} |", "|---|" + "---:|" * len(cells)]
        for analysis in analyses:
            row = [_entry(summary.get((scenario, n, k, analysis))) for k, n in cells]
            if all(entry == "-" for entry in row):
                continue
            lines.append(f"| {LABELS.get(analysis, analysis)} | " + " | ".join(row) + " |")
        counts = [
            max(
                (v["replicates"] for key, v in summary.items() if key[:3] == (scenario, n, k)),
                default=0,
            )  # fmt: skip
            for k, n in cells
        ]
        lines.append("| *replicates* | " + " | ".join(str(c) for c in counts) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"
