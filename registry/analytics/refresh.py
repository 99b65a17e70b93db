"""Generating the analytics tables ahead of the requests (DHIS2's "analytics tables").

Public interface::

    data_years(today: date) -> range       # the first .. the last year with data
    refresh_tables(*, today=None) -> AnalyticsGeneration
        # count and suppress every family for every year of data_years, then store them as
        # one new generation (commits; the previous generation stays readable until then);
        # a cell the previous generation withheld stays withheld (unless zero); a table
        # whose counts did not change is published as before
    refresh_due(*, now=None) -> str | None # why a refresh is due (None: the tables are current)

Counting people over a national registry takes seconds per family and suppressing a
large table seconds more; a ministry asking for five years should not wait for that. The
worker (:mod:`registry.jobs.analytics`) calls :func:`refresh_due` every minute and
refreshes when the data changed and the tables are ``ANALYTICS_REFRESH_MINUTES`` old,
and at the latest when they are ``ANALYTICS_REFRESH_MAX_AGE_HOURS`` old. Requests read
the stored tables (:mod:`registry.analytics.store`) and count at request time only what
is not stored: censuses at the end of a quarter, semester or month, years outside the
data, and anything before the first refresh.

The counting runs in short read transactions, one per family, on a second thread one
family ahead of the suppression; the writing is one transaction at the end. Changes made while
counting are newer than ``covers_change_id``, so they trigger the next refresh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from registry.analytics import sql, store
from registry.analytics.indicators import FAMILIES
from registry.analytics.periods import Period, parse_period
from registry.analytics.tables import CanonicalTable, Geography, build_table
from registry.extensions import db
from registry.models import AnalyticsGeneration, LabTest, OstEnrolment
from registry.models import TreatmentEpisode as E
from registry.models.base import utcnow

log = logging.getLogger(__name__)


def data_years(today: date) -> range:
    """Every calendar year from the first to the last admission, enrolment or test (not
    beyond ``today``'s year): a year after the last record is counted when asked."""
    dates = (E.admission_date, OstEnrolment.enrolment_date, LabTest.sample_date)
    query = select(*(select(func.min(d)).scalar_subquery() for d in dates),
                   *(select(func.max(d)).scalar_subquery() for d in dates))  # fmt: skip
    row = db.session.execute(query).one()
    firsts = [day.year for day in row[:3] if day is not None]
    lasts = [day.year for day in row[3:] if day is not None]
    if not firsts:
        return range(0)
    return range(max(min(firsts), 1900), min(max(lasts), today.year) + 1)


def _family_counts(periods: list[Period]) -> Iterator[tuple[str, dict]]:
    """``(family, counts)`` of every family, counted by a second thread one family ahead:
    the database counts the next family while this thread suppresses the last one (the
    drivers release the GIL while a query runs). An in-memory SQLite database, which a
    second connection would not see, is counted here instead."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        for name in FAMILIES:
            yield name, sql.family_counts(name, periods)
            db.session.rollback()
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def count(name: str) -> dict:
        with app.app_context():
            try:
                return sql.family_counts(name, periods)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="analytics-count") as counter:
        futures = [(name, counter.submit(count, name)) for name in FAMILIES]
        try:
            for name, future in futures:
                yield name, future.result()
        finally:
            for _name, future in futures:
                future.cancel()


def refresh_tables(*, today: date | None = None) -> AnalyticsGeneration:
    """Count, suppress and store every family's table for every year (commits)."""
    clock = time.perf_counter()
    started = utcnow()
    today = today or started.date()
    threshold = current_app.config["SUPPRESSION_THRESHOLD"]
    covers = store.newest_change()
    years = data_years(today)
    periods = [parse_period(str(year), today=today)[0] for year in years]
    geography = Geography.load()
    latest = store.latest_generation()
    same_rules = latest is not None and latest.threshold == threshold
    previous = store.withheld_cells(latest.id) if same_rules else {}
    digests = store.table_digests(latest.id) if same_rules else {}
    db.session.rollback()  # end the read transaction: each family reads in its own
    tables = {}
    for name, counts in _family_counts(periods):
        for period in periods:
            leaf = counts[period.iso]
            key = (name, period.end)
            table = (build_table(FAMILIES[name], geography, leaf, threshold=threshold,
                                 previous=previous.get(key, ()), previous_digest=digests.get(key))
                     if leaf else CanonicalTable({}, frozenset()))  # fmt: skip
            tables[(name, period.end)] = table
    generation = AnalyticsGeneration(
        started_at=started, finished_at=utcnow(), covers_change_id=covers,
        threshold=threshold, first_year=years[0] if years else None,
        last_year=years[-1] if years else None, tables=len(tables),
        seconds=round(time.perf_counter() - clock, 3),
    )  # fmt: skip
    try:
        store.write_generation(generation, tables)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    span = f"{years[0]}-{years[-1]}" if years else "no data"
    log.info("analytics tables: %d tables (%s) in %.1f s", len(tables), span, generation.seconds)
    return generation


def refresh_due(*, now: datetime | None = None) -> str | None:
    """Why the analytics tables should be generated again, or None if they are current."""
    config = current_app.config
    now = now or utcnow()
    latest = store.latest_generation()
    if latest is None:
        return "there are no analytics tables yet"
    if latest.threshold != config["SUPPRESSION_THRESHOLD"]:
        return "the suppression threshold changed"
    age = now - store.as_utc(latest.finished_at)
    max_hours = config["ANALYTICS_REFRESH_MAX_AGE_HOURS"]
    if max_hours > 0 and age >= timedelta(hours=max_hours):
        return f"the tables are older than {max_hours} hours"
    changed = store.changes_after(latest.covers_change_id)
    minutes = config["ANALYTICS_REFRESH_MINUTES"]
    if changed and minutes > 0 and age >= timedelta(minutes=minutes):
        return "the data changed"
    return None
