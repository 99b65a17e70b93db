"""The estimation worker's queue: Huey on SQLite (embedded default) or Redis.

Public interface::

    init_jobs(app) -> None            # called by create_app (register_extensions)
    queue_for(app) -> huey.Huey       # the app's queue, with the registry's tasks
    enqueue(job_id: int) -> None      # put one job on the current app's queue
    enqueue_dashboard_drawing() -> None   # the worker draws the dashboard's plots ahead

Storage: ``REDIS_URL`` set -> ``RedisHuey`` (several workers on several machines);
otherwise ``SqliteHuey`` in ``JOBS_SQLITE_PATH`` (default ``instance/jobs.sqlite3``). A
testing app without ``JOBS_SQLITE_PATH`` gets an in-memory queue that no worker reads
(jobs stay queued), so tests never write into the instance folder.

Every queue also carries the analytics refresher, a periodic task run each minute by
the consumer (:mod:`registry.jobs.analytics`).

Jobs are enqueued after the commit that created them (an ``after_commit`` listener reads
the ids :func:`registry.services.studies.create_study` leaves in ``session.info``), so a
rolled-back study is never run. The queue only carries job ids: the database is the
source of truth for a job's state (see :mod:`registry.jobs.runner`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from registry.services.job_queue import DRAW_DASHBOARD_KEY, ENQUEUE_KEY

QUEUE_NAME = "narcoregistry"
_QUEUES: dict[tuple[str, str], tuple[Huey, Any, Any]] = {}


def _storage(app: Flask) -> tuple[str, str]:
    config = app.config
    if config.get("REDIS_URL"):
        return "redis", config["REDIS_URL"]
    if config.get("JOBS_SQLITE_PATH"):
        return "sqlite", str(config["JOBS_SQLITE_PATH"])
    if config.get("TESTING"):
        return "memory", str(id(app))
    return "sqlite", str(Path(app.instance_path) / "jobs.sqlite3")


def queue_for(app: Flask) -> Huey:
    """The Huey of ``app``'s settings (one per storage), with the tasks registered."""
    return _queue_and_task(app)[0]


def _queue_and_task(app: Flask) -> tuple[Huey, Any, Any]:
    kind, where = _storage(app)
    entry = _QUEUES.get((kind, where))
    if entry is None:
        queue: Huey
        if kind == "redis":
            queue = RedisHuey(QUEUE_NAME, url=where)
        elif kind == "sqlite":
            Path(where).parent.mkdir(parents=True, exist_ok=True)
            queue = SqliteHuey(QUEUE_NAME, filename=where)
        else:
            queue = MemoryHuey(QUEUE_NAME)
        from registry.jobs.analytics import draw_dashboard_task, refresh_analytics_task
        from registry.jobs.runner import run_job_task

        entry = (queue, queue.task(name="run_estimation_job")(run_job_task),
                 queue.task(name="draw_dashboard_plots")(draw_dashboard_task))  # fmt: skip
        queue.periodic_task(crontab(), name="refresh_analytics")(
            lambda: refresh_analytics_task(queue)
        )
        _QUEUES[(kind, where)] = entry
    return entry


def enqueue(job_id: int) -> None:
    """Put job ``job_id`` on the current app's queue."""
    _queue, task, _draw = _queue_and_task(current_app._get_current_object())  # type: ignore[attr-defined]
    task(job_id)


def enqueue_dashboard_drawing() -> None:
    """Have the worker draw the ministry dashboard's plots (it skips those already drawn)."""
    _queue, _task, draw = _queue_and_task(current_app._get_current_object())  # type: ignore[attr-defined]
    draw()


def _after_commit(session: Session) -> None:
    job_ids: list[int] = session.info.pop(ENQUEUE_KEY, [])
    for job_id in job_ids:
        enqueue(job_id)
    if session.info.pop(DRAW_DASHBOARD_KEY, False):
        enqueue_dashboard_drawing()


def _after_rollback(session: Session) -> None:
    session.info.pop(ENQUEUE_KEY, None)
    session.info.pop(DRAW_DASHBOARD_KEY, None)


def init_jobs(app: Flask) -> None:
    """Listen for commits that created jobs (once per process)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback_soft)
    app.extensions["registry_jobs"] = True


def _after_rollback_soft(session: Session, _previous: Any) -> None:
    _after_rollback(session)
