"""``python -m estimation mim``: regional estimates by the multivariate indicator method."""

from __future__ import annotations

from estimation.cli._common import add_common_options, emit, read_table

ANCHOR_COLUMNS = ("region", "estimate", "ci_low", "ci_high")


def register(subparsers) -> None:
    """Add the ``mim`` subcommand."""
    parser = subparsers.add_parser(
        "mim",
        help="regional estimates from indicators and anchor regions (multivariate indicator)",
        description="EMCDDA multivariate indicator method: principal components of the log "
        "indicators, regression of the anchors' log estimates, bootstrap prediction intervals.",
    )
    parser.add_argument(
        "indicators", metavar="INDICATORS.csv",
        help="column region, then one column per indicator (every value positive)",
    )  # fmt: skip
    parser.add_argument(
        "--anchors", metavar="ANCHORS.csv", required=True,
        help="columns region,estimate,ci_low,ci_high: the anchor regions' direct estimates",
    )  # fmt: skip
    parser.add_argument("--components", type=int, default=1, help="components used (default 1)")
    parser.add_argument("--replicates", type=int, default=2000, help="bootstrap replicates")
    parser.add_argument("--seed", type=int, default=20030101, help="bootstrap seed")
    parser.add_argument(
        "--tau2-plug-in", action="store_true",
        help="plug in tau2's estimate instead of drawing it (narrower; too narrow, few anchors)",
    )  # fmt: skip
    add_common_options(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    """Read both tables, estimate, print."""
    from estimation.mim import mim_estimate

    table = read_table(args.indicators, ["region"]).set_index("region")
    anchors_table = read_table(args.anchors, ANCHOR_COLUMNS)
    anchors = {
        str(row.region): (row.estimate, (row.ci_low, row.ci_high))
        for row in anchors_table.itertuples()
    }
    result = mim_estimate(table, anchors, components=args.components, alpha=args.alpha,
                          replicates=args.replicates, seed=args.seed,
                          tau2_uncertainty=not args.tau2_plug_in)  # fmt: skip
    level = round(100 * (1 - args.alpha))
    lines = [f"region  estimate  ({level}% prediction interval)"]
    for entry in result.regions:
        mark = "  anchor" if entry.anchor else ""
        lines.append(f"{entry.region}  {entry.estimate:,.0f}  "
                     f"({entry.ci_low:,.0f}-{entry.ci_high:,.0f}){mark}")  # fmt: skip
    national = result.national
    lines.append(
        f"total  {national.estimate:,.0f}  ({national.ci_low:,.0f}-{national.ci_high:,.0f})"
    )
    lines.append(f"first component explains {result.pca.variance_explained[0]:.0%} of the "
                 f"variance; R-squared of the anchors {result.fit.r_squared or 0:.2f}")  # fmt: skip
    return emit(args, result.as_dict(), "\n".join(lines))
