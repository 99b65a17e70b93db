"""Shares of a total (e.g. HIV infections through injecting) checked against claimed shares.

Narrative summaries often quote a share ("about 82% of infections came through injecting")
next to counts that do not support it. :func:`share_table` recomputes each share with a
Wilson interval and reports the claims that the counts contradict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from estimation.consistency import ConsistencyIssue, is_missing, table_records
from estimation.intervals import wilson_interval

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ShareRow", "ShareTable", "share_table"]


@dataclass(frozen=True)
class ShareRow:
    """One row: ``part`` of ``total`` with the Wilson interval of the share.

    ``claimed_share`` is None when the source claims nothing for this row.
    """

    country: str
    total: int
    part: int
    share: float
    ci_low: float
    ci_high: float
    claimed_share: float | None


@dataclass(frozen=True)
class ShareTable:
    """Result of :func:`share_table`: the rows, the pooled share and any contradictions."""

    rows: tuple[ShareRow, ...]
    overall: ShareRow
    issues: tuple[ConsistencyIssue, ...]

    def to_dict(self) -> dict:
        """Plain-JSON representation (used by the CLI)."""
        return {
            "rows": [asdict(r) for r in self.rows],
            "overall": asdict(self.overall),
            "consistent": not self.issues,
            "issues": [asdict(i) for i in self.issues],
        }

    def summary(self) -> str:
        """Text table with one line per row and one per contradiction."""
        lines = []
        for r in (*self.rows, self.overall):
            claim = "" if r.claimed_share is None else f"  (claimed {100 * r.claimed_share:.0f}%)"
            lines.append(
                f"{r.country:<12} {r.part:>7,}/{r.total:<7,} = {100 * r.share:5.1f}% "
                f"({100 * r.ci_low:.1f}-{100 * r.ci_high:.1f}){claim}"
            )
        lines += [f"INCONSISTENT: {issue.message}" for issue in self.issues]
        return "\n".join(lines)


def share_table(
    frame: pd.DataFrame | Sequence[Mapping[str, object]],
    *,
    total_col: str = "hiv_registered",
    part_col: str = "among_pwid",
    claim_col: str = "claimed_share",
    overall_claim: float | None = None,
    alpha: float = 0.05,
) -> ShareTable:
    """Recompute shares ``part / total`` and check them against claimed shares.

    Parameters
    ----------
    frame : pandas.DataFrame or sequence of mappings
        Columns ``country``, ``total_col``, ``part_col`` and optionally ``claim_col``
        (a proportion, blank when nothing is claimed).
    overall_claim : float, optional
        A claimed share for all rows together (e.g. 0.70 region-wide).
    alpha : float, default 0.05

    Notes
    -----
    A claim *c* is contradicted when it lies outside the Wilson interval of
    ``part / total`` — that is, when the counts make *c* implausible even allowing for
    binomial noise. A part larger than its total is always an issue. A contradiction may
    have an innocent cause (e.g. a cumulative share quoted next to one year's counts); the
    check only shows that the figures quoted together do not agree.

    Examples
    --------
    >>> from estimation.datasets import load_central_asia_hiv_2002
    >>> [i.country for i in share_table(load_central_asia_hiv_2002()).issues]
    ['Kazakhstan']
    """
    columns, records = table_records(frame)
    missing = [c for c in ("country", total_col, part_col) if c not in columns]
    if missing:
        raise ValueError(f"share table is missing columns: {', '.join(missing)}")
    if not records:
        raise ValueError("share table has no rows")
    rows, issues = [], []
    for record in records:
        country, total, part = str(record["country"]), record[total_col], record[part_col]
        if is_missing(total) or is_missing(part) or total <= 0 or part < 0:
            raise ValueError(f"{country}: counts must be given, total positive, part >= 0")
        total, part = int(total), int(part)
        if part > total:
            issues.append(
                ConsistencyIssue(
                    country,
                    part_col,
                    part,
                    total,
                    f"{country}: {part:,} exceeds its total {total:,}",
                )
            )
            part = total
        claim = record.get(claim_col)
        claim = None if is_missing(claim) else float(claim)
        rows.append(_row(country, total, part, claim, alpha))
    overall = _row(
        "overall", sum(r.total for r in rows), sum(r.part for r in rows), overall_claim, alpha
    )
    for row in (*rows, overall):
        if row.claimed_share is not None and not row.ci_low <= row.claimed_share <= row.ci_high:
            issues.append(
                ConsistencyIssue(
                    row.country,
                    "claimed_share",
                    row.claimed_share,
                    row.share,
                    f"{row.country}: claimed share {100 * row.claimed_share:.0f}% is outside "
                    f"{row.part:,}/{row.total:,} = {100 * row.share:.1f}% "
                    f"({100 * row.ci_low:.1f}-{100 * row.ci_high:.1f}%)",
                )
            )
    return ShareTable(rows=tuple(rows), overall=overall, issues=tuple(issues))


def _row(country: str, total: int, part: int, claim: float | None, alpha: float) -> ShareRow:
    low, high = wilson_interval(part, total, alpha)
    return ShareRow(country, total, part, part / total, low, high, claim)
