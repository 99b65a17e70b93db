"""``python -m estimation multiplier``: benchmark-multiplier population size."""

from __future__ import annotations

from estimation.multiplier import METHODS, multiplier_estimate, rate_per_100k
from estimation.reporting import add_common_options, emit


def register(subparsers) -> None:
    """Add the ``multiplier`` subcommand."""
    parser = subparsers.add_parser(
        "multiplier",
        help="population size N = B / p from a benchmark count and a survey",
        description="Benchmark-multiplier estimate N = B / p with p = x / n from a survey.",
    )
    parser.add_argument("--benchmark", type=float, required=True, help="benchmark count B")
    parser.add_argument("--sample-size", type=int, required=True, help="survey sample size n")
    parser.add_argument(
        "--in-benchmark", type=int, required=True, help="respondents who appear in the benchmark x"
    )
    parser.add_argument("--design-effect", type=float, default=1.0, help="survey design effect")
    parser.add_argument("--method", choices=METHODS, default="delta", help="interval method")
    parser.add_argument("--seed", type=int, default=None, help="seed for --method montecarlo")
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
    """Compute and print the estimate."""
    result = multiplier_estimate(
        args.benchmark,
        args.sample_size,
        args.in_benchmark,
        design_effect=args.design_effect,
        method=args.method,
        alpha=args.alpha,
        benchmark_poisson=args.benchmark_poisson,
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
