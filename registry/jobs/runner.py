"""What a worker does with a job id: claim, heartbeat, compute, finish; and the reaper.

The database is the source of truth. A worker *claims* a job with one conditional
``UPDATE ... WHERE state = 'queued'`` (so a duplicated queue message runs it at most
once), writes a heartbeat every ``JOB_HEARTBEAT_SECONDS`` from a side thread while the
estimation runs, and stores the result only if it still owns the job. The *reaper*
(:func:`reap_stale_jobs`, run by every worker at start and then periodically) finds
running jobs whose heartbeat is older than ``JOB_STALE_SECONDS`` -- their worker died --
and queues them again, or fails them after ``JOB_MAX_ATTEMPTS`` attempts; it also
re-sends queued jobs whose queue message was lost. No job stays running forever.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import update

from registry.extensions import db
from registry.models import EstimationJob
from registry.models.base import utcnow
from registry.models.studies import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED

log = logging.getLogger(__name__)

#: The application of a worker process (set by :mod:`registry.jobs.worker`).
_APP: Flask | None = None


def set_app(app: Flask) -> None:
    """Use ``app`` for the tasks this process runs."""
    global _APP
    _APP = app


def worker_name() -> str:
    """``host:pid:thread`` of the calling worker thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"[:120]


def worker_app() -> Flask:
    """The application of this worker process (built from the settings if not set)."""
    if _APP is None:
        from registry import create_app

        set_app(create_app())
    assert _APP is not None
    return _APP


def run_job_task(job_id: int) -> None:
    """The Huey task: run job ``job_id`` in the worker's application."""
    app = worker_app()
    with app.app_context():
        run_job(job_id)


def _claim(job_id: int, worker: str) -> bool:
    now = utcnow()
    claimed = db.session.execute(
        update(EstimationJob)
        .where(EstimationJob.id == job_id, EstimationJob.state == QUEUED)
        .values(
            state=RUNNING,
            worker=worker,
            started_at=now,
            heartbeat_at=now,
            attempts=EstimationJob.attempts + 1,
        )
    ).rowcount
    db.session.commit()
    return claimed == 1


def _heartbeat(app: Flask, job_id: int, worker: str, stop: threading.Event) -> None:
    interval = app.config["JOB_HEARTBEAT_SECONDS"]
    with app.app_context():
        while not stop.wait(interval):
            try:
                db.session.execute(
                    update(EstimationJob)
                    .where(EstimationJob.id == job_id, EstimationJob.worker == worker)
                    .where(EstimationJob.state == RUNNING)
                    .values(heartbeat_at=utcnow())
                )
                db.session.commit()
            except Exception:  # a missed beat is retried; the reaper allows for several
                db.session.rollback()
                log.exception("heartbeat of job %s failed", job_id)
        db.session.remove()


def _finish(job_id: int, worker: str, **values: object) -> None:
    db.session.execute(
        update(EstimationJob)
        .where(EstimationJob.id == job_id, EstimationJob.worker == worker)
        .where(EstimationJob.state == RUNNING)
        .values(finished_at=utcnow(), **values)
    )
    db.session.commit()


def run_job(job_id: int) -> str | None:
    """Run one job if it is still queued; return its final state (``None`` if not run)."""
    from registry.services.studies import compute_result

    worker = worker_name()
    if not _claim(job_id, worker):
        return None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(app, job_id, worker, stop), daemon=True)
    beat.start()
    try:
        job = db.session.get(EstimationJob, job_id)
        assert job is not None
        result = compute_result(job)
        with db.session.no_autoflush:  # the new result is not to be flushed before the check
            db.session.refresh(job, ["state", "worker", "cancel_requested"])
        if job.state != RUNNING or job.worker != worker:
            db.session.rollback()  # reaped and given to another worker meanwhile
            return None
        if job.cancel_requested:
            db.session.rollback()
            _finish(job_id, worker, state=CANCELLED)
            return CANCELLED
        db.session.add(result)
        job.state, job.finished_at = SUCCEEDED, utcnow()
        db.session.commit()
        return SUCCEEDED
    except Exception as error:  # the job fails with the error; the worker carries on
        db.session.rollback()
        log.exception("estimation job %s failed", job_id)
        _finish(job_id, worker, state=FAILED, error=f"{type(error).__name__}: {error}"[:2000])
        return FAILED
    finally:
        stop.set()
        beat.join()


def reap_stale_jobs(app: Flask) -> dict[str, list[int]]:
    """Queue again (or fail) running jobs with a stale heartbeat; re-send lost messages.

    Returns ``{"retried": [...], "failed": [...], "resent": [...]}`` job ids.
    """
    from registry.jobs import enqueue

    stale_after = timedelta(seconds=app.config["JOB_STALE_SECONDS"])
    max_attempts = app.config["JOB_MAX_ATTEMPTS"]
    outcome: dict[str, list[int]] = {"retried": [], "failed": [], "resent": []}
    with app.app_context():
        cutoff = utcnow() - stale_after
        rows = db.session.execute(
            EstimationJob.__table__.select()
            .with_only_columns(EstimationJob.id, EstimationJob.attempts)
            .where(EstimationJob.state == RUNNING, EstimationJob.heartbeat_at < cutoff)
        ).all()
        for job_id, attempts in rows:
            retry = attempts < max_attempts
            where = (
                (EstimationJob.id == job_id)
                & (EstimationJob.state == RUNNING)
                & (EstimationJob.heartbeat_at < cutoff)
            )
            message = f"The worker stopped during attempt {attempts} of {max_attempts}."
            values = (
                {"state": QUEUED, "worker": None, "heartbeat_at": utcnow(), "error": message}
                if retry
                else {"state": FAILED, "finished_at": utcnow(), "error": message}
            )
            changed = db.session.execute(update(EstimationJob).where(where).values(**values))
            db.session.commit()
            if changed.rowcount == 1:
                outcome["retried" if retry else "failed"].append(job_id)
                if retry:
                    enqueue(job_id)
        lost = db.session.scalars(
            EstimationJob.__table__.select()
            .with_only_columns(EstimationJob.id)
            .where(EstimationJob.state == QUEUED, EstimationJob.queued_at < cutoff)
            .where((EstimationJob.heartbeat_at.is_(None)) | (EstimationJob.heartbeat_at < cutoff))
        ).all()
        for job_id in lost:  # a duplicate message is harmless: the claim runs a job once
            db.session.execute(
                update(EstimationJob)
                .where(EstimationJob.id == job_id)
                .values(heartbeat_at=utcnow())
            )
            db.session.commit()
            enqueue(job_id)
            outcome["resent"].append(job_id)
        db.session.remove()
    if any(outcome.values()):
        log.warning("reaper: %s", outcome)
    return outcome
