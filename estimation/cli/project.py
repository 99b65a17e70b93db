"""``python -m estimation project``: projections under named annual-growth scenarios."""

from __future__ import annotations

from estimation.cli._common import emit
from estimation.projection import DEFAULT_SCENARIOS, parse_scenario, project


def register(subparsers) -> None:
    """Add the ``project`` subcommand."""
    defaults = ", ".join(f"{k}={lo:g}:{hi:g}" for k, (lo, hi) in DEFAULT_SCENARIOS.items())
    parser = subparsers.add_parser(
        "project",
        help="project registered or estimated users 1-5 years ahead",
        description=f"Compound-growth scenarios in percent a year (default: {defaults}).",
    )
    parser.add_argument("--base-year", type=int, required=True)
    parser.add_argument("--value", type=float, required=True, help="value in the base year")
    parser.add_argument("--value-low", type=float, help="lower bound of the base value")
    parser.add_argument("--value-high", type=float, help="upper bound of the base value")
    parser.add_argument("--years", type=int, default=5, help="horizon, 1-5 (default 5)")
    parser.add_argument(
        "--scenario",
        action="append",
        default=None,
        metavar="NAME=LOW:HIGH",
        help="annual growth range in percent, e.g. best=-3:-2 (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Compute and print the projection."""
    scenarios = None
    if args.scenario:
        scenarios = dict(parse_scenario(text) for text in args.scenario)
    result = project(
        args.base_year,
        args.value,
        years=args.years,
        scenarios=scenarios,
        value_low=args.value_low,
        value_high=args.value_high,
    )
    payload = {
        "base_year": result.base_year,
        "value": result.value,
        "scenarios": [
            {
                "name": name,
                "growth_low": low,
                "growth_high": high,
                "years": [
                    {"year": y.year, "value": y.value, "low": y.low, "high": y.high}
                    for y in result.for_scenario(name)
                ],
            }
            for name, (low, high) in result.scenarios.items()
        ],
    }
    return emit(args, payload, result.summary())
