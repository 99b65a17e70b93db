"""Command-line interface: ``python -m estimation COMMAND ...``.

Each module of this package defines one or more subcommands through a function
``register(subparsers)`` that adds its parsers and sets ``func`` (returning the exit
code). :data:`COMMANDS` names every subcommand with its one-line help and its module, so
``--help`` and the choice of a command need no module: only the module of the command
that runs is imported (scipy and pandas take about a second to import; a command
imports them only for an option that needs them). A new command is a new module plus its
rows in :data:`COMMANDS`; tests/estimation/test_cli_dispatch.py checks that the table
matches the modules.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NamedTuple


class Command(NamedTuple):
    """One subcommand: its name, its line in ``--help`` and the module that registers it."""

    name: str
    help: str
    module: str


COMMANDS: tuple[Command, ...] = (
    Command(
        "capture-recapture",
        "estimate a population from overlapping lists (log-linear models)",
        "capture_recapture",
    ),
    Command("petersen", "two-list Lincoln-Petersen and Chapman estimates", "capture_recapture"),
    Command(
        "count-estimators",
        "population size from how often people appear on one list",
        "count_estimators",
    ),
    Command(
        "coverage", "OST coverage = clients on OST / estimated opioid-dependent PWID", "coverage"
    ),
    Command(
        "hiv-trend",
        "HIV prevalence by year with Wilson intervals, logistic trend and joinpoints",
        "hiv_trend",
    ),
    Command(
        "mim",
        "regional estimates from indicators and anchor regions (multivariate indicator)",
        "mim",
    ),
    Command(
        "multiplier",
        "population size N = B / p from a benchmark count and a survey",
        "multiplier",
    ),
    Command("project", "project registered or estimated users 1-5 years ahead", "project"),
    Command(
        "regional-table",
        "users per registered user and rates per 100,000, with consistency checks",
        "regional_table",
    ),
    Command(
        "retention",
        "Kaplan-Meier retention, log-rank test and Cox hazard ratios",
        "retention",
    ),
    Command(
        "synthesis",
        "one consensus estimate from several estimates of the same population",
        "synthesis",
    ),
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Return the top-level parser, with the full options of ``command`` only.

    The module defining ``command`` registers all its subcommands; every other command is
    a stub carrying its name and help line, enough to list it in ``--help`` and choose it.
    """
    parser = argparse.ArgumentParser(
        prog="python -m estimation",
        description="Estimate hidden populations of people who use drugs.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    loaded = next((entry.module for entry in COMMANDS if entry.name == command), None)
    registered = False
    for entry in COMMANDS:
        if entry.module != loaded:
            subparsers.add_parser(entry.name, help=entry.help, add_help=False)
        elif not registered:
            importlib.import_module(f"{__name__}.{loaded}").register(subparsers)
            registered = True
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code (2 for invalid input)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # The stubs name the command (or print the top-level help and usage errors) ...
    chosen, _ = build_parser().parse_known_args(argv)
    # ... then only that command's module is imported to parse its options.
    args = build_parser(chosen.command).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
