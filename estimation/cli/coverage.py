"""``python -m estimation coverage``: OST coverage with the WHO band."""

from __future__ import annotations

from estimation.cli._common import emit
from estimation.coverage import ost_coverage


def register(subparsers) -> None:
    """Add the ``coverage`` subcommand."""
    parser = subparsers.add_parser(
        "coverage",
        help="OST coverage = clients on OST / estimated opioid-dependent PWID",
        description="OST coverage with the population estimate's interval carried through.",
    )
    parser.add_argument(
        "--on-ost", type=int, required=True, help="clients on OST at the census date"
    )
    parser.add_argument("--estimate", type=float, required=True, help="estimated PWID")
    parser.add_argument("--ci-low", type=float, help="lower bound of the estimate")
    parser.add_argument("--ci-high", type=float, help="upper bound of the estimate")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Compute and print the coverage."""
    result = ost_coverage(args.on_ost, args.estimate, args.ci_low, args.ci_high)
    payload = {
        "coverage": result.coverage,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "band": result.band,
        "band_low": result.band_low,
        "band_high": result.band_high,
        "capped": result.capped,
    }
    return emit(args, payload, result.summary())
