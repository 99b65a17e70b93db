"""Command-line interface: ``python -m estimation COMMAND ...``.

Each module of this package defines one or more subcommands through a function
``register(subparsers)`` that adds its parsers and sets ``func`` (returning the exit
code). Modules are discovered, so a new command is a new module and nothing else.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every discovered subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m estimation",
        description="Estimate hidden populations of people who use drugs.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code (2 for invalid input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
