"""The worker's analytics refresher: a Huey periodic task, every minute.

Public interface::

    refresh_analytics_task(queue) -> None   # the task body (registered by registry.jobs)

Each tick asks :func:`registry.analytics.refresh.refresh_due` and, if a refresh is due,
runs :func:`registry.analytics.refresh.refresh_tables` under a Huey lock, so one refresh
runs at a time however many worker threads or machines share the queue, then draws the
ministry dashboard's plots of the new tables (:mod:`registry.plots_ahead`). The check is a
few indexed reads. ``ANALYTICS_REFRESH_MINUTES=0`` turns the refresher off (then only
``flask analytics refresh`` generates the tables).
"""

from __future__ import annotations

import logging

from huey import Huey
from huey.exceptions import TaskLockedException

from registry.extensions import db

log = logging.getLogger(__name__)
LOCK_NAME = "analytics-refresh"


def refresh_analytics_task(queue: Huey) -> None:
    """Refresh the analytics tables if they are due (in the worker's application)."""
    from registry.analytics.refresh import refresh_due, refresh_tables
    from registry.jobs.runner import worker_app
    from registry.plots_ahead import draw_ministry_plots, drawn_safely

    app = worker_app()
    with app.app_context():
        if app.config["ANALYTICS_REFRESH_MINUTES"] <= 0:
            return
        try:
            with queue.lock_task(LOCK_NAME):
                reason = refresh_due()
                db.session.rollback()
                if reason is None:
                    return
                log.info("refreshing the analytics tables: %s", reason)
                refresh_tables()
            # new tables, new plots: drawn after the lock is released, so a refresh due
            # meanwhile (another worker's, the next minute's) need not wait for them
            drawn = drawn_safely(draw_ministry_plots)
            log.info("dashboard plots drawn ahead after the refresh: %d images", drawn)
        except TaskLockedException:
            log.info("an analytics refresh is already running")
        finally:
            db.session.remove()


def draw_dashboard_task() -> None:
    """Draw the dashboard's plots ahead (in the worker's application): queued after the
    commit of an approval or a withdrawal, which changes the estimates they show."""
    from registry.jobs.runner import worker_app
    from registry.plots_ahead import draw_ministry_plots, drawn_safely

    app = worker_app()
    with app.app_context():
        try:
            drawn = drawn_safely(draw_ministry_plots)
            log.info("dashboard plots drawn ahead after an approval: %d images", drawn)
        finally:
            db.session.remove()
