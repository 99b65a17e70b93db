"""The ``demo load`` command: click options around :func:`registry.simulation.load.load_demo`.

Wire it into a ``flask demo`` group with ``demo.add_command(load_command)``; it runs in the
app context Flask's CLI provides. It refuses a database that already has data, unless
``--if-empty`` turns that into a successful no-op (``make run``), and refuses production.
It ends with the default study's estimate computed and approved by the demo epidemiologist
(:mod:`registry.demo.estimate`), so the ministry dashboard has an estimate to show.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from registry.demo import DemoRefusedError, database_is_empty
from registry.demo.estimate import DemoEstimate, estimate_demo
from registry.extensions import db
from registry.simulation.load import load_demo, parse_years
from registry.simulation.profiles import PROFILES

#: Processes validating forms by default (fork is only used where the platform has it).
DEFAULT_WORKERS = min(4, os.cpu_count() or 1) if hasattr(os, "fork") else 1

#: Scale of the default demo: the full Kyrgyz registry of 1998-2004 (about 45,000 episodes).
DEFAULT_SCALE = 1.0


def _years(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, int]:
    try:
        return parse_years(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error


@click.command("load")
@click.option("--country", type=click.Choice(sorted(PROFILES)), default="KG", show_default=True)
@click.option(
    "--years",
    default="1998-2004",
    show_default=True,
    callback=_years,
    help="First and last simulated year, e.g. 1998-2004.",
)
@click.option(
    "--scale",
    type=click.FloatRange(min=0.001),
    default=DEFAULT_SCALE,
    show_default=True,
    help="Multiplier on the country's population of users.",
)
@click.option("--seed", type=int, default=2003, show_default=True)
@click.option(
    "--truth-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the true figures and parameters to this JSON file.",
)
@click.option(
    "--lists-out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for police.csv, prison.csv and hiv_testing.csv "
    "(default: the instance folder's lists/).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=DEFAULT_WORKERS,
    show_default=True,
    help="Processes validating forms in parallel (large scales).",
)
@click.option("--if-empty", is_flag=True, help="Do nothing if the registry has clients.")
@with_appcontext
def load_command(
    country: str,
    years: tuple[int, int],
    scale: float,
    seed: int,
    truth_out: Path | None,
    lists_out: Path | None,
    workers: int,
    if_empty: bool,
) -> None:
    """Simulate a national registry with known truth and load it into the database."""
    if not database_is_empty():
        if if_empty:
            click.echo("The database already has data: demo not loaded.")
            return
        raise click.ClickException("Demo not loaded: the database is not empty.")
    if lists_out is None:
        lists_out = Path(current_app.instance_path) / "lists"
    try:
        result = load_demo(
            country, years, scale, seed, truth_out=truth_out, lists_out=lists_out, workers=workers
        )
    except DemoRefusedError as error:
        db.session.rollback()
        raise click.ClickException(f"Demo not loaded: {error}.") from error
    counts = ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in result.counts.items())
    seconds = sum(result.seconds.values())
    click.echo(
        f"Demo loaded: {PROFILES[country].name} {years[0]}-{years[1]} (scale {scale}, "
        f"seed {seed}) in {seconds:.1f} s: {counts}."
    )
    if result.rejected:
        click.echo(f"Forms rejected by validation: {result.rejected}")
    click.echo(f"External lists written to {os.fspath(lists_out)}")
    if truth_out:
        click.echo(f"Truth written to {os.fspath(truth_out)}")
    click.echo(_estimate_line(estimate_demo(country, years, lists_out)))


def _estimate_line(outcome: DemoEstimate) -> str:
    """What became of the demo's study, in one line."""
    where = f"{outcome.area_code} {outcome.period}"
    if not outcome.approved or outcome.estimate is None:
        return f"No estimate for {where}: {outcome.error}"
    estimate = outcome.estimate
    low, high = estimate.ci_low, estimate.ci_high
    interval = f" (95% interval {low:,.0f}-{high:,.0f})" if None not in (low, high) else ""
    return (
        f"Estimate for {where} approved by the demo epidemiologist (job {outcome.job_id}, "
        f"{outcome.seconds:.1f} s): {estimate.abundance:,.0f} people who use drugs"
        f"{interval}; ministry dashboard: /ministry/?year={outcome.period}"
    )
