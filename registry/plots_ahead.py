"""Drawing plots ahead of the requests that ask for them (in the estimation worker).

Public interface::

    draw_ministry_plots() -> int          # every dashboard plot of every year and language
    draw_result_plots(job_id) -> int      # every plot of one stored result, every language
    draw_at_start() -> int                # both: the dashboard, then the newest results
    drawn_safely(draw, *args) -> int      # draw(*args), a failure logged and counted as 0
    drawing_ahead() -> bool               # DRAW_PLOTS_AHEAD and a shared PLOT_CACHE_FOLDER

Drawing a plot takes 100-400 ms of CPU with matplotlib, more than any page, and a server
under load that draws on the first request makes that request, and every request queued
behind it, wait (issue 12 §5: the first draws were a third of the server's CPU in a load
run). :func:`registry.plot_cache.cached_png` keys an image by its name, language, data
and drawing code, so an image drawn here from the same data a request reads is the file
that request finds in ``PLOT_CACHE_FOLDER``. The worker draws:

- at its start (:func:`draw_at_start`, on a thread of its own): an upgrade that changed the
  drawing code, or a new server, has no image yet (the dashboard's plots only once the
  analytics tables exist: before the first refresh they would be counted at length, then
  changed by that refresh);
- after each analytics refresh (:mod:`registry.jobs.analytics`): a new generation of the
  tables is new data for the dashboard's plots (drawn once the refresh lock is released);
- after an approval or a withdrawal of a result (a task queued after its commit,
  :mod:`registry.services.job_queue`): the dashboard shows the approved estimates;
- after each job stores a result (:mod:`registry.jobs.runner`).

Nothing is shown to anyone here, so nothing is audited: the request that later asks for
an image still checks its caller's role (and clinic), reads the same data as that caller
and writes its audit row. An image is drawn only when it is missing, and only where a
plot folder is configured (otherwise no web process could find it) and
``DRAW_PLOTS_AHEAD`` is 1 (the default). A failure to draw is logged and never fails the
refresh or the job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from registry.analytics import store
from registry.extensions import db
from registry.ministry_web import charts
from registry.ministry_web.panels import available_years, unaudited_panel
from registry.models import EstimationResult
from registry.plot_cache import cached_png
from registry.plot_cache import folder_configured as _folder_configured
from registry.services.methods import METHODS

log = logging.getLogger(__name__)

#: The newest stored results whose plots the worker draws at its start.
RESULTS_AT_START = 50


def drawing_ahead() -> bool:
    """Whether plots are drawn ahead: a shared plot folder, and ``DRAW_PLOTS_AHEAD``."""
    return bool(current_app.config.get("DRAW_PLOTS_AHEAD")) and _folder_configured()


def draw_ministry_plots() -> int:
    """Draw the dashboard's plots of every year in every language; the number of images
    looked at (already drawn ones cost a file check). Nothing before the first analytics
    refresh: the panels would be counted now, at length, and the refresh that follows
    changes them (it draws them then)."""
    if not drawing_ahead() or store.current_generation() is None:
        return 0
    count = 0
    years = available_years()
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            for year in years:
                for name, chart in charts.CHARTS.items():
                    panel = unaudited_panel(year, name)
                    cached_png(f"ministry-{name}", panel, lambda c=chart, p=panel: c(p))
                    count += 1
    db.session.rollback()  # only reads
    return count


def draw_result_plots(job_id: int) -> int:
    """Draw every plot of job ``job_id``'s stored result in every language, read back
    from the database as a request reads it; the number of images looked at."""
    if not drawing_ahead():
        return 0
    result = db.session.scalar(select(EstimationResult).where(EstimationResult.job_id == job_id))
    if result is None:
        return 0
    method = METHODS[result.job.study.method]
    if method.draw is None:
        return 0
    payload, draw = method.read(result.payload), method.draw
    count = 0
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            for name in method.plots(payload):
                cached_png(f"study-{name}", payload, lambda n=name: draw(n, payload))
                count += 1
    db.session.rollback()
    return count


def draw_at_start() -> int:
    """The dashboard's plots, then those of the :data:`RESULTS_AT_START` newest results."""
    if not drawing_ahead():
        return 0
    started = time.monotonic()
    count = drawn_safely(draw_ministry_plots)
    newest = db.session.scalars(
        select(EstimationResult.job_id).order_by(EstimationResult.id.desc()).limit(RESULTS_AT_START)
    ).all()
    db.session.rollback()
    for job_id in newest:
        count += drawn_safely(draw_result_plots, job_id)
    log.info("plots drawn ahead: %d images in %.1f s", count, time.monotonic() - started)
    return count


def drawn_safely(draw: Callable[..., int], *args: object) -> int:
    """``draw(*args)``, or 0 with the error logged (a plot never fails a job or refresh)."""
    try:
        return draw(*args)
    except Exception:
        db.session.rollback()
        log.exception("drawing plots ahead failed")
        return 0
