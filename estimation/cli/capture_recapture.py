"""Subcommands ``capture-recapture`` (log-linear models on linked lists) and ``petersen``.

Examples::

    python -m estimation capture-recapture lists.csv                # Rcapture's closedp.t table
    python -m estimation capture-recapture lists.csv --model "[12,3,4]" --ci profile
    python -m estimation capture-recapture lists.csv --search bic --json
    python -m estimation capture-recapture lists.csv --search aic --ci bootstrap --seed 1
    python -m estimation capture-recapture lists.csv --bayes dga --json   # estimation.cli._bayes
    python -m estimation petersen 500 400 100 --json

``lists.csv`` has one 0/1 column per list plus ``freq`` (or one row per person, no ``freq``).
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from estimation.capture_recapture import (
    CaptureHistories,
    LoglinearResult,
    bootstrap,
    closed_population_models,
    fit_loglinear,
    model_average,
    petersen,
    search_models,
    stepwise,
    stratified,
)
from estimation.capture_recapture.candidates import check_order, count_models
from estimation.cli import _bayes as bayes
from estimation.cli._nesting import nesting_json, nesting_text

CI_CHOICES = ("wald", "lognormal", "profile", "bootstrap", "bca")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``capture-recapture`` and ``petersen`` subcommands."""
    cr = subparsers.add_parser(
        "capture-recapture",
        help="estimate a population from overlapping lists (log-linear models)",
        description=(
            "Estimate the size of a population from k overlapping lists. Without a model "
            "option, print Rcapture's closedp.t table (M0, Mt, Mh, Mth, Mb, Mbh)."
        ),
    )
    cr.add_argument(
        "file", help="CSV: one 0/1 column per list, plus 'freq' (or one row per person)"
    )
    choice = cr.add_mutually_exclusive_group()
    choice.add_argument("--model", help='one model: M0, Mt, Mh, Mth, Mb, Mbh or e.g. "[12,3,4]"')
    choice.add_argument(
        "--search", choices=("aic", "bic"), help="fit all models, rank by criterion"
    )
    choice.add_argument("--stepwise", action="store_true", help="SparseMSE stepwise selection")
    choice.add_argument(
        "--bayes", choices=bayes.BAYES_CHOICES, help="Bayesian estimate: dga or lcmcr"
    )
    bayes.add_arguments(cr)
    cr.add_argument(
        "--heterogeneity", help="Chao, Poisson, Darroch or Gamma term (--model, --search)"
    )
    cr.add_argument("--lists", help="comma-separated list columns (default: all but freq/--by)")
    cr.add_argument("--by", help="stratify by this column (sex, age group, region) and sum")
    cr.add_argument("--max-order", type=int, help="highest interaction order in --search")
    cr.add_argument("--ci", choices=CI_CHOICES, default="lognormal", help="interval method")
    cr.add_argument("--alpha", type=float, default=0.05, help="1 - confidence level (0.05)")
    cr.add_argument("--replicates", type=int, default=1000, help="bootstrap replicates (1000)")
    cr.add_argument("--seed", type=int, default=None, help="random seed (bootstrap, lcmcr)")
    cr.add_argument(
        "--top", type=int, default=None, help="models shown (default: all; 10 for a text search)"
    )
    cr.add_argument("--json", action="store_true", help="print JSON")
    cr.set_defaults(func=run_capture_recapture)

    pt = subparsers.add_parser(
        "petersen",
        help="two-list Lincoln-Petersen and Chapman estimates",
        description="Lincoln-Petersen and Chapman estimates with Seber's variance and "
        "Chao's log-transformed interval.",
    )
    pt.add_argument("n1", type=int, help="people on list 1")
    pt.add_argument("n2", type=int, help="people on list 2")
    pt.add_argument("m", type=int, help="people on both lists")
    pt.add_argument("--alpha", type=float, default=0.05, help="1 - confidence level (0.05)")
    pt.add_argument("--json", action="store_true", help="print JSON")
    pt.set_defaults(func=run_petersen)


def read_frame(path: str):
    """Read the CSV file (one 0/1 column per list, optional ``freq``) as a data frame, for
    ``--by`` (the other options read it without pandas, which takes a second to import)."""
    import pandas as pd

    frame = pd.read_csv(path)
    if frame.empty:
        raise ValueError(f"{path}: no rows")
    return frame


def _list_columns(args: argparse.Namespace, frame) -> list[str] | None:
    if args.lists:
        return [name.strip() for name in args.lists.split(",") if name.strip()]
    if frame is None:
        return None
    return [c for c in frame.columns if c not in ("freq", args.by)]


def run_capture_recapture(args: argparse.Namespace) -> int:
    """Run the ``capture-recapture`` subcommand."""
    if not 0 < args.alpha < 1:
        raise ValueError("--alpha must be between 0 and 1")
    if args.replicates < 2:
        raise ValueError("--replicates must be at least 2")
    if args.chains is not None and args.bayes != "lcmcr":
        raise ValueError("--chains works only with --bayes lcmcr")
    if args.by:
        return _run_stratified(args, read_frame(args.file))
    histories = CaptureHistories.from_csv(args.file, lists=_list_columns(args, None), freq="freq")
    if args.bayes:
        return bayes.run(args, histories)
    method = args.ci
    resampling = method in ("bootstrap", "bca")
    if resampling and not (args.model or args.search or args.stepwise):
        raise ValueError("--ci bootstrap needs --model, --search or --stepwise")
    boot = None
    extra: dict[str, object] = {}
    if args.model:
        results = [fit_loglinear(histories, args.model, heterogeneity=args.heterogeneity)]
    elif args.stepwise:
        step = stepwise(histories)
        results = [step.model]
        extra["steps"] = [{"pair": pair, "p_value": p} for pair, p in step.steps]
    elif args.search:
        table = search_models(
            histories,
            criterion=args.search,
            max_order=args.max_order,
            heterogeneity=args.heterogeneity,
        )
        results = list(table.results)
        best = table.best_without_warnings()
        extra["best"] = None if best is None else best.name
        extra["model_count"] = model_count_note(histories.n_lists, args.max_order, len(results))
        average = model_average(table, criterion=args.search)
        low, high = average.conf_int(args.alpha)
        extra["model_average"] = {
            "abundance": average.abundance,
            "stderr": average.stderr,
            "ci_low": low,
            "ci_high": high,
            "criterion": args.search,
        }
    else:
        results = list(closed_population_models(histories).results)
    top = args.top
    if top is None and args.search and not args.json:
        top = 10
    shown = results[:top] if top else results
    if resampling:
        rng = np.random.default_rng(args.seed)
        boot = bootstrap(
            histories,
            rng=rng,
            replicates=args.replicates,
            criterion=args.search or "bic",
            model=args.model,
            max_order=args.max_order,
            stepwise=args.stepwise,
        )
    rows = []
    for index, result in enumerate(shown):
        row = result.to_dict(args.alpha, method=None)
        if resampling:
            kind = "bca" if method == "bca" else "percentile"
            low, high = boot.conf_int(args.alpha, kind) if index == 0 else (math.nan, math.nan)
        else:
            low, high = _interval_for(result, histories, method, args.alpha)
            if method == "profile" and high == math.inf:
                note = f"the profile upper limit is above {3 * result.abundance:.1f} (3 N)"
                row["message"] = f"{row['message']}; {note}" if row["message"] else note
        row["ci_low"], row["ci_high"] = _clean(low), _clean(high)
        rows.append(row)
    if boot is not None:
        extra["bootstrap"] = {
            "replicates": len(boot.replicates),
            "failures": boot.failures,
            "selected": boot.selected,
            "seed": args.seed,
            "acceleration": _clean(boot.acceleration),
        }
    if args.json:
        payload = {
            "observed": histories.observed,
            "lists": list(histories.lists),
            "models": rows,
            **extra,
            "nested_lists": nesting_json(histories),
        }
        print(json.dumps(payload, indent=2))
    else:
        print(_text(histories, rows, method, args.alpha, extra) + nesting_text(histories))
    return 0


def model_count_note(n_lists: int, max_order: int | None, fitted: int) -> dict[str, object]:
    """How many models a search fitted, and the models Rcapture adds with ``forced=NULL``."""
    order = check_order(n_lists, max_order)
    without_forced = count_models(n_lists, order, main_effects_forced=False)
    return {
        "fitted": fitted,
        "definition": (
            f"every hierarchical model with all {n_lists} main effects and interactions up to "
            f"order {order}, as Rcapture's closedpMS.t with its default forced = 1:{n_lists}"
        ),
        "left_out": without_forced - fitted,
        "left_out_reason": (
            "models that leave out a list's main effect (and the intercept-only model), "
            f"which Rcapture also fits with forced = NULL ({without_forced} models): they "
            "fix a list's odds of capture at one half and are not capture-recapture models"
        ),
    }


def _interval_for(result: LoglinearResult, histories: CaptureHistories, method: str, alpha: float):
    if method == "profile" and result.design is None:
        if result.name in ("Mb", "Mbh"):
            return result.conf_int(alpha, "chao")
        name, _, het = result.name.partition(" ")
        kind = het.split()[0].rstrip("0123456789.") if het else None
        result = fit_loglinear(histories, name, heterogeneity=kind)
    return result.conf_int(alpha, method)


def _clean(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _fmt(value: object, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _text(histories, rows, method, alpha, extra) -> str:
    lines = [
        f"Number of captured units: {histories.observed}",
        f"Lists: {', '.join(histories.lists)}",
        "",
    ]
    width = max(len(r["name"]) for r in rows) + 2
    level = f"{100 * (1 - alpha):g}% {method}"
    lines.append(
        f"{'model':<{width}}{'abundance':>11}{'stderr':>10}{'ci_low':>11}{'ci_high':>11}"
        f"{'deviance':>10}{'df':>4}{'AIC':>10}{'BIC':>10}  fit"
    )
    for r in rows:
        lines.append(
            f"{r['name']:<{width}}{_fmt(r['abundance'], 1):>11}{_fmt(r['stderr'], 1):>10}"
            f"{_fmt(r['ci_low'], 1):>11}{_fmt(r['ci_high'], 1):>11}{_fmt(r['deviance'], 3):>10}"
            f"{r['df']:>4}{_fmt(r['aic'], 3):>10}{_fmt(r['bic'], 3):>10}  "
            f"{_fit_label(r)}"
        )
    lines.append(f"\nIntervals: {level}.")
    notes = [f"  {r['name']}: {r['message']}" for r in rows if r["message"]]
    notes += [
        f"  {r['name']}: Rcapture warning #{w['code']}: {w['message']}"
        for r in rows
        for w in r.get("warnings", ())
    ]
    if notes:
        lines += ["Warnings:", *notes]
    if "best" in extra:
        lines.append(
            f"Best model without warnings (by {extra['model_average']['criterion'].upper()}): "
            f"{extra['best'] or 'none: every model is flagged'}"
        )
        count = extra["model_count"]
        lines.append(
            f"Models fitted: {count['fitted']} ({count['definition']}); "
            f"{count['left_out']} left out: {count['left_out_reason']}."
        )
    if "model_average" in extra:
        a = extra["model_average"]
        lines.append(
            f"Model-averaged ({a['criterion'].upper()} weights): {a['abundance']:.1f} "
            f"(se {a['stderr']:.1f}), {_fmt(a['ci_low'], 1)} to {_fmt(a['ci_high'], 1)}"
        )
    if "steps" in extra:
        added = ", ".join(f"{s['pair']} (p={s['p_value']:.3g})" for s in extra["steps"]) or "none"
        lines.append(f"Stepwise pairs added: {added}")
    if "bootstrap" in extra:
        b = extra["bootstrap"]
        lines.append(
            f"Bootstrap: {b['replicates']} replicates, {b['failures']} failed; "
            f"interval shown for the first model only"
        )
    return "\n".join(lines)


def _fit_label(row: dict) -> str:
    """``ok``, or the status and Rcapture's codes (``no_mle``, ``warning #1``...)."""
    codes = sorted({w["code"] for w in row.get("warnings", ())})
    parts = [] if row["fit_ok"] else [str(row.get("status", "WARNING"))]
    if codes:
        parts.append("#" + " #".join(map(str, codes)))
    return ", ".join(parts) if parts else "ok"


def _run_stratified(args: argparse.Namespace, frame) -> int:
    """``--by``: one model per stratum (``--model``, default Mt, or ``--search``), summed."""
    if args.ci in ("bootstrap", "bca") or args.stepwise:
        raise ValueError("--by works with --model or --search and a wald, lognormal or profile ci")
    result = stratified(
        frame,
        by=args.by,
        lists=_list_columns(args, frame),
        model=args.model or "Mt",
        criterion=args.search,
        heterogeneity=args.heterogeneity,
    )
    rows = []
    for stratum, fitted in result.strata.items():
        row = fitted.to_dict(args.alpha, method=None)
        low, high = fitted.conf_int(args.alpha, args.ci)
        row.update(name=f"{args.by}={stratum}: {fitted.name}", ci_low=_clean(low))
        row["ci_high"] = _clean(high)
        rows.append(row)
    low, high = result.conf_int(args.alpha)
    total = {"name": "total", "abundance": result.abundance, "stderr": result.stderr,
             "ci_low": _clean(low), "ci_high": _clean(high), "deviance": None, "df": None,
             "aic": None, "bic": None, "fit_ok": result.fit_ok,
             "message": "sum over strata; Chao's log-transformed interval"}  # fmt: skip
    rows.append(total)
    lists = list(next(iter(result.strata.values())).lists)
    pooled = CaptureHistories.from_frame(
        frame, lists=lists, freq="freq" if "freq" in frame else None
    )
    if args.json:
        payload = {"observed": result.observed, "lists": lists, "models": rows, "by": args.by,
                   "nested_lists": nesting_json(pooled)}  # fmt: skip
        print(json.dumps(payload, indent=2))
    else:
        lines = [f"Number of captured units: {result.observed}", f"Lists: {', '.join(lists)}",
                 f"Strata by {args.by}:", ""]  # fmt: skip
        for row in rows:
            lines.append(
                f"{row['name']:<40}{_fmt(row['abundance'], 1):>11}{_fmt(row['stderr'], 1):>10}"
                f"{_fmt(row['ci_low'], 1):>11}{_fmt(row['ci_high'], 1):>11}  "
                f"{'ok' if row['fit_ok'] else 'WARNING'}"
            )
        print("\n".join(lines) + nesting_text(pooled))
    return 0


def run_petersen(args: argparse.Namespace) -> int:
    """Run the ``petersen`` subcommand."""
    result = petersen(args.n1, args.n2, args.m)
    low, high = result.conf_int(args.alpha)
    if args.json:
        payload = {
            "lincoln_petersen": _clean(result.lincoln_petersen),
            "chapman": result.chapman,
            "stderr": result.stderr,
            "ci_low": low,
            "ci_high": high,
        }
        print(json.dumps(payload, indent=2))
    else:
        print(result.summary(args.alpha))
    return 0
