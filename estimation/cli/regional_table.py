"""``python -m estimation regional-table``: the analysts' table, recomputed and checked."""

from __future__ import annotations

from importlib import resources

from estimation.cli._common import emit, read_rows
from estimation.consistency import REQUIRED, regional_table
from estimation.shares import share_table

HIV_COLUMNS = ("country", "hiv_registered", "among_pwid")


def _packaged(name: str) -> str:
    """Path of a data set shipped in :mod:`estimation.datasets` (read without pandas)."""
    return str(resources.files("estimation.datasets").joinpath(name))


def register(subparsers) -> None:
    """Add the ``regional-table`` subcommand."""
    parser = subparsers.add_parser(
        "regional-table",
        help="users per registered user and rates per 100,000, with consistency checks",
        description="Recompute derived figures of a regional table (default: Central Asia, "
        "early 2003) and flag published figures that do not follow from the counts.",
    )
    parser.add_argument(
        "file",
        metavar="FILE.csv",
        nargs="?",
        help="CSV with columns " + ",".join(REQUIRED) + "[,published_rate_low,published_rate_high]",
    )
    parser.add_argument(
        "--tolerance", type=float, default=1.0, help="allowed difference per 100,000 (default 1)"
    )
    parser.add_argument(
        "--claimed-ratio", metavar="LOW:HIGH", help="claimed ratio of users to registered users"
    )
    parser.add_argument("--claimed-total", type=float, help="claimed total number of users")
    parser.add_argument(
        "--hiv",
        nargs="?",
        const="",
        metavar="HIV.csv",
        help="also check HIV shares through injecting (columns country,hiv_registered,"
        "among_pwid[,claimed_share]; default: Central Asia 2002)",
    )
    parser.add_argument(
        "--claimed-hiv-share", type=float, help="claimed overall share, e.g. 0.70 region-wide"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a figure is inconsistent"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Recompute, check and print the table."""
    frame = read_rows(args.file or _packaged("central_asia_2003.csv"), REQUIRED)
    ratio = None
    if args.claimed_ratio:
        try:
            ratio = tuple(float(v) for v in args.claimed_ratio.split(":"))
        except ValueError:
            ratio = ()
        if len(ratio) != 2:
            raise ValueError(f"--claimed-ratio must look like LOW:HIGH, got {args.claimed_ratio!r}")
    if (ratio is None) != (args.claimed_total is None):
        raise ValueError("--claimed-ratio and --claimed-total go together")
    table = regional_table(
        frame, tolerance=args.tolerance, claimed_ratio=ratio, claimed_total=args.claimed_total
    )
    payload, text, consistent = table.to_dict(), table.summary(), table.consistent
    if args.hiv is not None:
        hiv_frame = read_rows(args.hiv or _packaged("central_asia_hiv_2002.csv"), HIV_COLUMNS)
        shares = share_table(hiv_frame, overall_claim=args.claimed_hiv_share)
        payload["hiv"] = shares.to_dict()
        text += "\n\nHIV infections through injecting drug use:\n" + shares.summary()
        consistent = consistent and not shares.issues
    elif args.claimed_hiv_share is not None:
        raise ValueError("--claimed-hiv-share needs --hiv")
    emit(args, payload, text)
    return 1 if args.strict and not consistent else 0
