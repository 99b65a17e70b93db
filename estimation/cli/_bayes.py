"""``capture-recapture --bayes dga|lcmcr``: the Bayesian estimates of the population size.

Examples::

    python -m estimation capture-recapture lists.csv --bayes dga --json
    python -m estimation capture-recapture lists.csv --bayes dga --delta 0.125
    python -m estimation capture-recapture lists.csv --bayes lcmcr --seed 1 --chains 3 --json

Both print the shape of the other ``--json`` outputs: ``observed``, ``lists`` and
``models[0]`` with ``abundance`` (posterior median) and ``ci_low``/``ci_high`` (the
``alpha/2`` and ``1 - alpha/2`` posterior quantiles), then the method's own figures
(:class:`~estimation.capture_recapture.posterior.PosteriorSize`).
"""

from __future__ import annotations

import argparse
import json

from estimation.capture_recapture import CaptureHistories
from estimation.capture_recapture.posterior import PosteriorSize
from estimation.cli._nesting import nesting_json, nesting_text

BAYES_CHOICES = ("dga", "lcmcr")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``--bayes`` (the choice itself joins the model-choice group)."""
    parser.add_argument(
        "--delta", type=float, default=None, help="dga: hyper-Dirichlet prior (2^-k)"
    )
    parser.add_argument("--chains", type=int, default=None, help="lcmcr: independent chains (2)")


def fit(args: argparse.Namespace, histories: CaptureHistories) -> PosteriorSize:
    """The posterior of the method ``args.bayes`` on ``histories``."""
    if args.bayes == "dga":
        from estimation.capture_recapture.dga import dga

        return dga(histories, delta=args.delta, alpha=args.alpha)
    if args.bayes == "lcmcr":
        from estimation.capture_recapture.lcmcr import lcmcr

        if args.delta is not None:
            raise ValueError("--delta is dga's prior; --bayes lcmcr does not take it")
        return lcmcr(histories, seed=args.seed, chains=args.chains, alpha=args.alpha)
    raise ValueError(f"--bayes must be one of {', '.join(BAYES_CHOICES)}")


def run(args: argparse.Namespace, histories: CaptureHistories) -> int:
    """Print the posterior as JSON or text."""
    result = fit(args, histories)
    if args.json:
        payload = {
            "observed": histories.observed,
            "lists": list(histories.lists),
            "method": args.bayes,
            "models": [result.to_dict()],
            "nested_lists": nesting_json(histories),
        }
        print(json.dumps(payload, indent=2))
    else:
        print(result.summary() + nesting_text(histories))
    return 0
