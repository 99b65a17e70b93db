"""``python -m estimation multiplier``: benchmark-multiplier population size."""

from __future__ import annotations

from estimation.cli._common import add_common_options, emit, read_table
from estimation.multiplier import METHODS, multiplier_estimate, rate_per_100k
from estimation.pooling import combine_multipliers


def register(subparsers) -> None:
    """Add the ``multiplier`` subcommand."""
    parser = subparsers.add_parser(
        "multiplier",
        help="population size N = B / p from a benchmark count and a survey",
        description="Benchmark-multiplier estimate N = B / p with p = x / n from a survey.",
    )
    parser.add_argument("--benchmark", type=float, help="benchmark count B")
    parser.add_argument("--sample-size", type=int, help="survey sample size n")
    parser.add_argument(
        "--in-benchmark", type=int, help="respondents who appear in the benchmark x"
    )
    parser.add_argument(
        "--combine",
        metavar="FILE.csv",
        help="pool several multipliers: CSV with columns benchmark,sample_size,in_benchmark"
        "[,design_effect][,name]",
    )
    parser.add_argument(
        "--random-effects", action="store_true", help="DerSimonian-Laird pooling for --combine"
    )
    parser.add_argument("--design-effect", type=float, default=1.0, help="survey design effect")
    parser.add_argument("--method", choices=METHODS, default="delta", help="interval method")
    parser.add_argument("--seed", type=int, default=None, help="seed for --method montecarlo")
    parser.add_argument(
        "--mc-draws",
        choices=("beta", "binomial"),
        default="beta",
        help="uncertainty on p for --method montecarlo (default beta)",
    )
    parser.add_argument(
        "--benchmark-poisson", action="store_true", help="add Poisson uncertainty on B"
    )
    parser.add_argument(
        "--registered", type=float, help="registered users, for users per registered"
    )
    parser.add_argument("--population", type=float, help="population, for a rate per 100,000")
    add_common_options(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    """Compute and print the estimate (or the pooled estimate with ``--combine``)."""
    single = (args.benchmark, args.sample_size, args.in_benchmark)
    if args.combine:
        if any(v is not None for v in single):
            raise ValueError("give either --combine or --benchmark/--sample-size/--in-benchmark")
        return _combine(args)
    if any(v is None for v in single):
        raise ValueError("--benchmark, --sample-size and --in-benchmark are required")
    result = multiplier_estimate(
        args.benchmark,
        args.sample_size,
        args.in_benchmark,
        design_effect=args.design_effect,
        method=args.method,
        alpha=args.alpha,
        benchmark_poisson=args.benchmark_poisson,
        mc_draws=args.mc_draws,
        seed=args.seed,
    )
    payload = {
        "estimate": result.estimate,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "method": result.method,
    }
    lines = [result.summary()]
    if args.registered is not None:
        ratio, low, high = result.per_registered(args.registered)
        payload["per_registered"] = {"estimate": ratio, "ci_low": low, "ci_high": high}
        lines.append(f"users per registered user: {ratio:.2f} ({low:.2f}-{high:.2f})")
    if args.population is not None:
        rates = [rate_per_100k(v, args.population) for v in result.estimate_and_interval()]
        payload["rate_per_100k"] = dict(zip(("estimate", "ci_low", "ci_high"), rates, strict=True))
        lines.append(f"per 100,000: {rates[0]:,.0f} ({rates[1]:,.0f}-{rates[2]:,.0f})")
    return emit(args, payload, "\n".join(lines))


def _combine(args) -> int:
    frame = read_table(args.combine, ("benchmark", "sample_size", "in_benchmark"))
    estimates, rows = [], []
    for i, row in enumerate(frame.to_dict("records"), start=1):
        name = str(row.get("name", f"multiplier {i}"))
        try:
            estimate = multiplier_estimate(
                float(row["benchmark"]),
                int(row["sample_size"]),
                int(row["in_benchmark"]),
                design_effect=float(row.get("design_effect", 1.0)),
                method=args.method,
                alpha=args.alpha,
                benchmark_poisson=args.benchmark_poisson,
                mc_draws=args.mc_draws,
                seed=args.seed,
            )
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name}: {error}") from None
        estimates.append(estimate)
        rows.append(
            {
                "name": name,
                "estimate": estimate.estimate,
                "ci_low": estimate.ci_low,
                "ci_high": estimate.ci_high,
            }
        )
    pooled = combine_multipliers(estimates, random_effects=args.random_effects, alpha=args.alpha)
    for row, weight in zip(rows, pooled.weights, strict=True):
        row["weight"] = weight
    payload = {
        "estimate": pooled.estimate,
        "ci_low": pooled.ci_low,
        "ci_high": pooled.ci_high,
        "method": "pooled-random" if args.random_effects else "pooled-fixed",
        "q": pooled.q,
        "df": pooled.df,
        "p_heterogeneity": pooled.p_heterogeneity,
        "i_squared": pooled.i_squared,
        "tau_squared": pooled.tau_squared,
        "estimates": rows,
    }
    lines = [
        f"{r['name']}: N = {r['estimate']:,.0f} ({r['ci_low']:,.0f}-{r['ci_high']:,.0f}), "
        f"weight {r['weight']:.2f}"
        for r in rows
    ]
    return emit(args, payload, "\n".join([*lines, pooled.summary()]))
