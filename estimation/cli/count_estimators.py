"""``python -m estimation count-estimators``: Chao, Zelterman, zero-truncated Poisson."""

from __future__ import annotations

from typing import TYPE_CHECKING

from estimation.cli._common import add_common_options, emit, read_rows, read_table
from estimation.count_estimators import (
    CountEstimate,
    ZeroTruncatedPoissonRegression,
    chao,
    frequency_table,
    zelterman,
    ztpoisson,
)

if TYPE_CHECKING:
    import pandas as pd


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
        "--covariates",
        help="comma-separated covariate columns of FILE (one row per covariate pattern and "
        "count): the zero-truncated Poisson model becomes a regression on them",
    )
    parser.add_argument(
        "--interval",
        choices=("default", "normal", "lognormal"),
        default="default",
        help="interval type (default: log-normal for Chao, normal for the others)",
    )
    add_common_options(parser)
    parser.set_defaults(func=run)


def _regression(frame: pd.DataFrame, covariates: list[str], options: dict) -> CountEstimate:
    import pandas as pd

    frequency_table(frame[["count", "freq"]])  # same validation as the marginal table
    design = pd.get_dummies(frame[covariates], drop_first=True, dtype=float)
    model = ZeroTruncatedPoissonRegression(**options)
    return model.fit(
        design.to_numpy(float), frame["count"], sample_weight=frame["freq"]
    ).population_


def run(args) -> int:
    """Compute every estimator that the frequencies allow and print them."""
    covariates = [c.strip() for c in (args.covariates or "").split(",") if c.strip()]
    if covariates:  # the regression takes a data frame (pandas only for this option)
        frame = read_table(args.file, ("count", "freq", *covariates))
        if frame[covariates].isna().any().any():
            raise ValueError("covariate columns must not be blank")
        freq = frequency_table(frame[["count", "freq"]])
    else:
        rows = read_rows(args.file, ("count", "freq"))
        blank = float("nan")  # as pandas reads a blank cell
        freq = frequency_table(
            (
                blank if row["count"] is None else row["count"],
                blank if row["freq"] is None else row["freq"],
            )
            for row in rows
        )
    options = {"alpha": args.alpha}
    if args.interval != "default":
        options["interval"] = args.interval
    models, skipped = [], []
    for estimator in (chao, zelterman, ztpoisson):
        try:
            if estimator is ztpoisson and covariates:
                models.append(_regression(frame, covariates, options))
            else:
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
    if covariates:
        payload["covariates"] = covariates
    if skipped:
        payload["skipped"] = skipped
    text = [f"observed: {payload['observed']:,}"] + [m.summary() for m in models]
    text += [f"{s['name']}: not computed: {s['reason']}" for s in skipped]
    return emit(args, payload, "\n".join(text))
