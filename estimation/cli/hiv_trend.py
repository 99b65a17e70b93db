"""``python -m estimation hiv-trend``: HIV prevalence among PWID by year, trend, joinpoints."""

from __future__ import annotations

from estimation.cli._common import add_common_options, emit, read_rows, read_table
from estimation.hiv_trend import hiv_joinpoints, logistic_trend, yearly_prevalence
from estimation.incidence import repeat_tester_incidence, repeat_tester_person_time


def register(subparsers) -> None:
    """Add the ``hiv-trend`` subcommand."""
    parser = subparsers.add_parser(
        "hiv-trend",
        help="HIV prevalence by year with Wilson intervals, logistic trend and joinpoints",
        description="Reads a CSV with columns year,tested,positive.",
    )
    parser.add_argument("file", metavar="FILE.csv", help="CSV with columns year,tested,positive")
    parser.add_argument(
        "--max-joinpoints", type=int, default=None, help="largest number of joinpoints"
    )
    parser.add_argument(
        "--selection", choices=("bic", "permutation"), default="bic", help="joinpoint selection"
    )
    parser.add_argument("--permutations", type=int, default=999, help="permutations per test")
    parser.add_argument("--seed", type=int, default=None, help="seed for the permutation test")
    parser.add_argument("--seroconversions", type=int, help="seroconversions among repeat testers")
    parser.add_argument("--person-years", type=float, help="person-years of repeat testers")
    parser.add_argument(
        "--repeat-tests",
        metavar="TESTS.csv",
        help="HIV test records (client_id,date,result) to count seroconversions and "
        "person-years among repeat testers",
    )
    add_common_options(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    """Compute and print prevalence, trend and joinpoints."""
    frame = read_rows(args.file, ("year", "tested", "positive"))
    years = yearly_prevalence(frame, alpha=args.alpha)
    notes, lines = [], []
    payload: dict = {
        "years": [
            {
                "year": y.year,
                "tested": y.tested,
                "positive": y.positive,
                "prevalence": y.prevalence,
                "ci_low": y.ci_low,
                "ci_high": y.ci_high,
            }
            for y in years
        ]
    }
    lines += [
        f"{y.year}: {y.positive}/{y.tested} = {100 * y.prevalence:.1f}% "
        f"({100 * y.ci_low:.1f}-{100 * y.ci_high:.1f})"
        for y in years
    ]
    try:
        trend = logistic_trend(frame, alpha=args.alpha)
        payload["trend"] = {
            "odds_ratio_per_year": trend.odds_ratio_per_year,
            "ci_low": trend.ci_low,
            "ci_high": trend.ci_high,
            "p_value": trend.p_value,
            "apc": trend.apc,
        }
        lines.append("trend: " + trend.summary())
    except ValueError as error:
        payload["trend"] = None
        notes.append(f"trend not estimated: {error}")
    try:
        model = hiv_joinpoints(
            frame,
            max_joinpoints=args.max_joinpoints,
            selection=args.selection,
            n_permutations=args.permutations,
            alpha=args.alpha,
            seed=args.seed,
        )
        payload["joinpoints"] = [
            {
                "start_year": s.start,
                "end_year": s.end,
                "apc": s.apc,
                "ci_low": s.apc_low,
                "ci_high": s.apc_high,
            }
            for s in model.segments_
        ]
        payload["joinpoint_years"] = list(model.joinpoints_)
        lines.append("joinpoints: " + model.summary())
    except ValueError as error:
        payload["joinpoints"] = []
        notes.append(f"joinpoints not estimated: {error}")
    rate = _incidence(args)
    if rate is not None:
        payload["incidence"] = {
            "seroconversions": rate.events,
            "person_years": rate.person_years,
            "per_100py": rate.rate_per_100py,
            "ci_low": rate.ci_low,
            "ci_high": rate.ci_high,
        }
        lines.append(
            f"incidence: {rate.rate_per_100py:.2f} per 100 person-years "
            f"({rate.ci_low:.2f}-{rate.ci_high:.2f})"
        )
    if notes:
        payload["notes"] = notes
    return emit(args, payload, "\n".join(lines + notes))


def _incidence(args):
    given = args.seroconversions is not None or args.person_years is not None
    if given and args.repeat_tests:
        raise ValueError("give --repeat-tests or --seroconversions/--person-years, not both")
    if args.repeat_tests:
        tests = read_table(args.repeat_tests, ("client_id", "date", "result"))
        return repeat_tester_person_time(tests).incidence(alpha=args.alpha)
    if not given:
        return None
    if args.seroconversions is None or args.person_years is None:
        raise ValueError("incidence needs both --seroconversions and --person-years")
    return repeat_tester_incidence(args.seroconversions, args.person_years, alpha=args.alpha)
