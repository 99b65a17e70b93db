"""``python -m estimation synthesis``: one consensus estimate from several estimates."""

from __future__ import annotations

from estimation.cli._common import emit, read_rows
from estimation.synthesis import DEFAULT_TAU_SCALE, SynthesisInput, synthesise

COLUMNS = ("estimate", "ci_low", "ci_high")


def register(subparsers) -> None:
    """Add the ``synthesis`` subcommand."""
    parser = subparsers.add_parser(
        "synthesis",
        help="one consensus estimate from several estimates of the same population",
        description="Bayesian hierarchical synthesis on the log scale. FILE.csv has columns "
        "estimate,ci_low,ci_high[,label][,weight][,alpha]: weight is the confidence given "
        "an estimate (1: its interval as stated; 0.5 doubles its variance), alpha the "
        "level of its interval (default 0.05).",
    )
    parser.add_argument("file", metavar="FILE.csv", help="one estimate per row")
    parser.add_argument(
        "--tau-scale",
        type=float,
        default=DEFAULT_TAU_SCALE,
        help="scale of the half-normal prior on the heterogeneity (log scale; default "
        f"{DEFAULT_TAU_SCALE}; 0: no heterogeneity)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--alpha", type=float, default=0.05, help="one minus the credible level (default 0.05)"
    )
    parser.set_defaults(func=run)


def _input(number: int, row: dict) -> SynthesisInput:
    label = str(row.get("label") or f"estimate {number}")
    try:
        values = [float(row[c]) for c in COLUMNS]  # type: ignore[arg-type]
        weight = float(row["weight"] if row.get("weight") is not None else 1.0)  # type: ignore[arg-type]
        alpha = float(row["alpha"] if row.get("alpha") is not None else 0.05)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        message = f"{label}: estimate, ci_low, ci_high, weight and alpha must be numbers"
        raise ValueError(message) from None
    return SynthesisInput(label, *values, weight=weight, alpha=alpha)


def run(args) -> int:
    """Compute and print the consensus, each input's influence and the warnings."""
    rows = read_rows(args.file, COLUMNS)
    inputs = [_input(number, row) for number, row in enumerate(rows, start=1)]
    result = synthesise(inputs, tau_scale=args.tau_scale, alpha=args.alpha)
    payload = {
        "estimate": result.estimate,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "method": "bayesian-hierarchical",
        "tau_scale": result.tau_scale,
        "tau": {"median": result.tau_median, "ci_low": result.tau_low, "ci_high": result.tau_high},
        "tau_zero": dict(zip(("estimate", "ci_low", "ci_high"), result.common, strict=True)),
        "q": result.q,
        "df": result.df,
        "p_heterogeneity": result.p_heterogeneity,
        "i_squared": result.i_squared,
        "warnings": list(result.warnings),
        "disjoint": [list(pair) for pair in result.disjoint],
        "inputs": [
            {
                "label": i.label,
                "estimate": i.estimate,
                "ci_low": i.ci_low,
                "ci_high": i.ci_high,
                "weight": i.weight,
                "alpha": i.alpha,
                "influence": f.weight,
                "without": f.without,
                "shift": f.shift,
            }
            for i, f in zip(result.inputs, result.influences, strict=True)
        ],
    }
    lines = [
        f"{i.label}: N = {i.estimate:,.0f} ({i.ci_low:,.0f}-{i.ci_high:,.0f}), weight "
        f"{f.weight:.2f}, consensus without it {f.without:,.0f}"
        for i, f in zip(result.inputs, result.influences, strict=True)
    ]
    lines.append(result.summary())
    lines += [f"warning: {w}" for w in result.warnings]
    return emit(args, payload, "\n".join(lines))
