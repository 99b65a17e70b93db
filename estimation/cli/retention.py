"""``python -m estimation retention``: retention on OST or in treatment (Kaplan-Meier, Cox)."""

from __future__ import annotations

import math

from estimation.cli._common import add_common_options, emit, read_columns, read_table
from estimation.cox import cox_hazard_ratios
from estimation.episodes import KYRGYZ_MAX_GAP_DAYS
from estimation.retention import CONF_TYPES, kaplan_meier, logrank_test

#: the data as lists of values by column name (pandas is imported only for --doses)
Columns = dict[str, list]


def register(subparsers) -> None:
    """Add the ``retention`` subcommand."""
    parser = subparsers.add_parser(
        "retention",
        help="Kaplan-Meier retention, log-rank test and Cox hazard ratios",
        description="Either durations (--duration-col, --event-col) or dosing records "
        "(--doses: columns client_id,date; episodes split by the interruption rule).",
    )
    parser.add_argument("file", metavar="FILE.csv")
    parser.add_argument("--duration-col", help="column of durations (e.g. days)")
    parser.add_argument("--event-col", help="column: 1 left treatment, 0 censored")
    parser.add_argument("--group-col", help="column to compare groups by (log-rank, Cox)")
    parser.add_argument(
        "--covariates", help="comma-separated columns to adjust the Cox model for (e.g. age,sex)"
    )
    parser.add_argument(
        "--at", default="182,365", help="times at which to report retention (default 182,365)"
    )
    parser.add_argument("--conf-type", choices=CONF_TYPES, default="log", help="KM interval")
    parser.add_argument(
        "--doses", action="store_true", help="FILE holds dosing events: build episodes first"
    )
    parser.add_argument("--analysis-date", help="censoring date for --doses (YYYY-MM-DD)")
    parser.add_argument(
        "--dose-col", help="with --doses: column of doses; compares episodes by --dose-threshold"
    )
    parser.add_argument(
        "--dose-threshold",
        type=float,
        default=60.0,
        help="median episode dose splitting the groups (default 60, methadone mg)",
    )
    parser.add_argument(
        "--max-gap-days",
        type=int,
        default=KYRGYZ_MAX_GAP_DAYS,
        help="a gap of more than D days without a dose ends an episode (default 2)",
    )
    add_common_options(parser)
    parser.set_defaults(func=run)


def _parse_times(text: str) -> list[float]:
    try:
        times = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ValueError(f"--at must be comma-separated numbers, got {text!r}") from None
    if not times or any(t < 0 for t in times):
        raise ValueError("--at needs at least one non-negative time")
    return times


def _load(args) -> tuple[Columns, str, str, str | None]:
    """Return the data, the duration and event columns, and the group column (or None)."""
    if args.doses:
        return _load_doses(args)
    if not (args.duration_col and args.event_col):
        raise ValueError("give --duration-col and --event-col (or --doses)")
    columns = [args.duration_col, args.event_col] + ([args.group_col] if args.group_col else [])
    columns += _covariates(args)
    data = read_columns(args.file, columns)
    if any(value is None for column in columns for value in data[column]):
        raise ValueError("durations, events, groups and covariates must not be blank")
    return data, args.duration_col, args.event_col, args.group_col


def _load_doses(args) -> tuple[Columns, str, str, str | None]:
    """Episodes from dosing records (pandas: dates and grouping by client)."""
    from estimation.episodes import episodes_from_doses

    if not args.analysis_date:
        raise ValueError("--doses needs --analysis-date for right censoring")
    if args.dose_col and args.group_col:
        raise ValueError("--dose-col defines the groups: do not also give --group-col")
    extra = ([args.group_col] if args.group_col else []) + _covariates(args)
    doses = read_table(args.file, ["client_id", "date", *extra, *filter(None, [args.dose_col])])
    episodes = episodes_from_doses(
        doses,
        analysis_date=args.analysis_date,
        max_gap_days=args.max_gap_days,
        dose_col=args.dose_col,
    )
    for column in extra:  # client-level attributes: the first value per client
        values = doses.groupby("client_id")[column].first()
        episodes[column] = episodes["client_id"].map(values)
    group_col = args.group_col
    if args.dose_col:
        high = episodes["median_dose"] >= args.dose_threshold
        limit = f"{args.dose_threshold:g} mg"
        episodes["dose_band"] = high.map({True: f">={limit}", False: f"<{limit}"})
        group_col = "dose_band"
    wanted = ["duration", "event", *extra] + ([group_col] if args.dose_col else [])
    return {c: episodes[c].tolist() for c in dict.fromkeys(wanted)}, "duration", "event", group_col


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _groups(data: Columns, group_col: str | None) -> list[tuple[object, list[int]]]:
    """Group labels in sorted order with the rows of each (blank labels left out)."""
    if not group_col:
        return [("all", list(range(len(data[next(iter(data))]))))]
    rows: dict[object, list[int]] = {}
    for index, label in enumerate(data[group_col]):
        if not _missing(label):
            rows.setdefault(label, []).append(index)
    return sorted(rows.items(), key=lambda item: item[0])


def _dummies(values: list, name: str) -> Columns:
    """Indicators of every level but the first (sorted), named ``name_level``."""
    levels = sorted({str(v) for v in values})
    return {f"{name}_{level}": [float(str(v) == level) for v in values] for level in levels[1:]}


def _hazard_ratios(data, duration, event, group_col, args, groups, lines, notes) -> list[dict]:
    """Cox model on group indicators (first group = reference) and any --covariates."""
    covariates = _covariates(args)
    model: Columns = {duration: data[duration], event: data[event]}
    group_terms: set[str] = set()
    if group_col and len(groups) > 1:
        labels = [str(v) for v in data[group_col]]
        for group in groups[1:]:
            model[group["group"]] = [int(label == group["group"]) for label in labels]
        group_terms = {g["group"] for g in groups[1:]}
    # Numeric covariates as they are, then indicators of the levels of text ones.
    text = [c for c in covariates if any(isinstance(v, str) for v in data[c])]
    model.update({c: data[c] for c in covariates if c not in text})
    for column in text:
        model.update(_dummies(data[column], column))
    given = len(group_terms) > 0 or len(covariates) > 0
    if not given or sum(data[event]) == 0:
        return []
    try:
        ratios = cox_hazard_ratios(model, duration_col=duration, event_col=event, alpha=args.alpha)
    except ValueError as error:
        notes.append(str(error))
        return []
    for r in ratios:
        versus = f" vs {groups[0]['group']}" if r.term in group_terms else ""
        lines.append(
            f"HR {r.term}{versus}: {r.hazard_ratio:.3f} ({r.ci_low:.3f}-{r.ci_high:.3f}), "
            f"p = {r.p_value:.4g}"
        )
    return [
        {
            "term": r.term,
            "hazard_ratio": r.hazard_ratio,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "p_value": r.p_value,
        }
        for r in ratios
    ]


def _covariates(args) -> list[str]:
    return [c.strip() for c in (args.covariates or "").split(",") if c.strip()]


def run(args) -> int:
    """Compute and print retention by group."""
    times = _parse_times(args.at)
    data, duration, event, group_col = _load(args)
    groups, lines = [], []
    for label, rows in _groups(data, group_col):
        curve = kaplan_meier(
            [data[duration][i] for i in rows],
            [data[event][i] for i in rows],
            alpha=args.alpha,
            conf_type=args.conf_type,
        )
        points = [curve.at(t) for t in times]
        groups.append(
            {
                "group": label if isinstance(label, str) else str(label),
                "n": curve.n,
                "events": curve.events,
                "median": curve.median,
                "at": [
                    {
                        "time": p.time,
                        "survival": p.survival,
                        "ci_low": p.ci_low,
                        "ci_high": p.ci_high,
                    }
                    for p in points
                ],
            }
        )
        shown = ", ".join(
            f"{p.time:g}: "
            + (
                "not estimable"
                if p.survival is None
                else f"{p.survival:.3f} ({p.ci_low:.3f}-{p.ci_high:.3f})"
            )
            for p in points
        )
        median = "not reached" if curve.median is None else f"{curve.median:g}"
        lines.append(f"{label}: n={curve.n}, events={curve.events}, median {median}; {shown}")
    payload = {"groups": groups, "logrank_p": None, "hazard_ratios": []}
    notes: list[str] = []
    if group_col and len(groups) > 1:
        if sum(data[event]) == 0:
            notes.append("every subject is censored: groups cannot be compared")
        else:
            _, p_value, _ = logrank_test(data[duration], data[event], data[group_col])
            payload["logrank_p"] = p_value
            lines.append(f"log-rank p = {p_value:.4g}")
    elif group_col:
        notes.append("only one group: nothing to compare")
    payload["hazard_ratios"] = _hazard_ratios(
        data, duration, event, group_col, args, groups, lines, notes
    )
    if notes:
        payload["notes"] = notes
    return emit(args, payload, "\n".join(lines + notes))
