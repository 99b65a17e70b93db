"""``python -m registry.jobs.worker``: the estimation worker (a Huey consumer).

Started by ``make run`` beside gunicorn (:data:`registry.serve.COMPANIONS`). It builds the
application from the same settings as the web processes (``DATABASE_URL``, secrets,
``REDIS_URL`` or ``JOBS_SQLITE_PATH``), reaps jobs whose worker died
(:func:`registry.jobs.runner.reap_stale_jobs`) at start and every
``JOB_HEARTBEAT_SECONDS``, draws the plots that are not drawn yet on a thread of its own
(:func:`registry.plots_ahead.draw_at_start`), then consumes the queue with
``JOB_WORKERS`` threads.
Run it on as many machines as you like with Redis (docs/estimation-jobs.md).
"""

from __future__ import annotations

import argparse
import logging
import threading

from registry import create_app
from registry.jobs import queue_for
from registry.jobs.analytics import LOCK_NAME
from registry.jobs.runner import reap_stale_jobs, set_app

log = logging.getLogger("registry.jobs.worker")


def _reap_periodically(app, stop: threading.Event) -> None:
    interval = app.config["JOB_HEARTBEAT_SECONDS"]
    while not stop.wait(interval):
        try:
            reap_stale_jobs(app)
        except Exception:  # the database may be briefly unavailable; try again later
            log.exception("reaper failed")


def _draw_ahead(app) -> None:
    from registry.extensions import db
    from registry.plots_ahead import draw_at_start

    with app.app_context():
        try:
            draw_at_start()
        finally:
            db.session.remove()


def main(argv: list[str] | None = None) -> int:
    """Reap, then run the consumer until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=None, help="threads (JOB_WORKERS)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app()
    set_app(app)
    reap_stale_jobs(app)
    stop = threading.Event()
    threading.Thread(target=_reap_periodically, args=(app, stop), daemon=True).start()
    threading.Thread(target=_draw_ahead, args=(app,), daemon=True).start()
    workers = args.workers or app.config["JOB_WORKERS"]
    consumer = queue_for(app).create_consumer(
        workers=workers, worker_type="thread", flush_locks=True, extra_locks=LOCK_NAME
    )  # a lock left by a worker that died would stop the analytics refresher for good
    try:
        consumer.run()
    finally:
        stop.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
