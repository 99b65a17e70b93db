"""``flask analytics ...``: generate the analytics tables and see how current they are.

::

    flask analytics refresh [--if-due]   # count, suppress and store every family and year
    flask analytics status               # the last generation, pending changes, what is due

The worker refreshes the tables by itself (:mod:`registry.jobs.analytics`); run
``refresh`` after loading data outside the web forms (the simulator, raw SQL), which the
change tracking cannot see. Output names counts of tables and changes only.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from registry.analytics.refresh import refresh_due, refresh_tables
from registry.analytics.store import as_utc, changes_after, latest_generation
from registry.extensions import db
from registry.models import AnalyticsGeneration

analytics_cli = AppGroup("analytics", help="Generate the analytics tables of the aggregates.")


def _describe(generation: AnalyticsGeneration) -> str:
    years = (f"{generation.first_year}-{generation.last_year}" if generation.first_year
             else "no data")  # fmt: skip
    return (f"{generation.tables} tables ({years}, threshold {generation.threshold}) "
            f"generated {as_utc(generation.finished_at):%Y-%m-%d %H:%M:%S} UTC "
            f"in {generation.seconds:.1f} s")  # fmt: skip


@analytics_cli.command("refresh")
@click.option("--if-due", is_flag=True, help="Only if the tables are missing or out of date.")
def refresh_command(if_due: bool) -> None:
    """Generate the analytics tables now (every indicator family, every year of data)."""
    if if_due:
        reason = refresh_due()
        db.session.rollback()
        if reason is None:
            click.echo("Analytics tables are up to date.")
            return
        click.echo(f"Refreshing the analytics tables: {reason}.")
    generation = refresh_tables()
    click.echo(f"Analytics tables: {_describe(generation)}.")


@analytics_cli.command("status")
def status_command() -> None:
    """Say when the tables were generated and whether a refresh is due."""
    latest = latest_generation()
    if latest is None:
        click.echo("No analytics tables yet: every answer is counted at request time.")
    else:
        pending = changes_after(latest.covers_change_id)
        click.echo(f"Analytics tables: {_describe(latest)}.")
        click.echo(f"Data changes since: {pending}.")
    reason = refresh_due()
    click.echo(f"Refresh due: {reason}." if reason else "Refresh due: no.")
    db.session.rollback()
