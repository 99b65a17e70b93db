"""``python -m estimation count-estimators``: Chao, Zelterman, zero-truncated Poisson."""

from __future__ import annotations

from estimation.count_estimators import chao, frequency_table, zelterman, ztpoisson
from estimation.reporting import add_common_options, emit, read_table


def register(subparsers) -> None:
    """Add the ``count-estimators`` subcommand."""
    parser = subparsers.add_parser(
        "count-estimators",
        help="population size from how often people appear on one list",
        description="Single-list estimators from a CSV with columns count,freq "
        "(freq people appear exactly count times).",
    )
    parser.add_argument("file", metavar="FILE.csv", help="CSV with columns count,freq")
    parser.add_argument(
        "--interval",
        choices=("default", "normal", "lognormal"),
        default="default",
        help="interval type (default: log-normal for Chao, normal for the others)",
    )
    add_common_options(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    """Compute every estimator that the frequencies allow and print them."""
    freq = frequency_table(read_table(args.file, ("count", "freq")))
    models, skipped = [], []
    for estimator in (chao, zelterman, ztpoisson):
        options = {"alpha": args.alpha}
        if args.interval != "default":
            options["interval"] = args.interval
        try:
            models.append(estimator(freq, **options))
        except ValueError as error:
            skipped.append({"name": estimator.__name__, "reason": str(error)})
    if not models:
        raise ValueError("; ".join(s["reason"] for s in skipped))
    payload = {
        "observed": sum(freq.values()),
        "models": [
            {"name": m.name, "estimate": m.estimate, "ci_low": m.ci_low, "ci_high": m.ci_high}
            for m in models
        ],
    }
    if skipped:
        payload["skipped"] = skipped
    text = [f"observed: {payload['observed']:,}"] + [m.summary() for m in models]
    text += [f"{s['name']}: not computed: {s['reason']}" for s in skipped]
    return emit(args, payload, "\n".join(text))
