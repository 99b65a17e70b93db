"""What a worker does with a job id: claim, heartbeat, compute, finish; and the reaper.

The database is the source of truth. A worker *claims* a job with one conditional
``UPDATE ... WHERE state = 'queued'`` (so a duplicated queue message runs it at most
once), writes a heartbeat every ``JOB_HEARTBEAT_SECONDS`` from a side thread while the
estimation runs, and stores the result only if it still owns the job. Between the steps
of a long computation (the bootstrap's replicate batches) and before storing the result,
the job's *checkpoint* (:func:`job_checkpoint`) reads the job again: a cancel request
stops the computation there (the job ends "cancelled"), and a job reaped meanwhile is
dropped. While the file named by ``JOB_HOLD_FILE`` exists, a job waits at its checkpoints
(still beating and still cancellable): tests use it to act on a job known to be running,
without racing the clock. The *reaper*
(:func:`reap_stale_jobs`, run by every worker at start and then periodically) finds
running jobs whose heartbeat is older than ``JOB_STALE_SECONDS`` -- their worker died --
and queues them again, or fails them after ``JOB_MAX_ATTEMPTS`` attempts; it also
re-sends queued jobs whose queue message was lost. No job stays running forever.

A job with a ``source_list_id`` (and no study) pairs a large upload
(:func:`registry.services.upload_jobs.run_upload_job`) instead of estimating: its codes
and pairs are committed with the job's success, and a failed or cancelled one deletes
the upload's staging rows.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import select, update

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


def _finish(job_id: int, worker: str, *, upload: int | None = None, **values: object) -> None:
    """End the job as ``values`` say; an upload's staging rows go with it (never used)."""
    from registry.services.upload_jobs import discard_staging

    ended = db.session.execute(
        update(EstimationJob)
        .where(EstimationJob.id == job_id, EstimationJob.worker == worker)
        .where(EstimationJob.state == RUNNING)
        .values(finished_at=utcnow(), **values)
    ).rowcount
    if upload is not None and ended == 1:
        discard_staging(upload)
    db.session.commit()


class JobStopped(Exception):  # noqa: N818 - not an error: the job ends as asked
    """Raised at a checkpoint: the job was cancelled, or is no longer this worker's."""

    def __init__(self, *, cancelled: bool) -> None:
        super().__init__("cancelled" if cancelled else "no longer this worker's job")
        self.cancelled = cancelled


#: How often a job held by ``JOB_HOLD_FILE`` looks for its release or a cancel request.
HOLD_POLL_SECONDS = 0.05


def job_checkpoint(job_id: int, worker: str) -> Callable[..., None]:
    """``checkpoint(done=None, total=None)`` for job ``job_id`` run by ``worker``.

    It raises :class:`JobStopped` if a cancel was requested or the job was reaped (no
    longer running for ``worker``), and returns otherwise; while the ``JOB_HOLD_FILE``
    exists it waits, checking again every :data:`HOLD_POLL_SECONDS`. Given ``done`` and
    ``total`` (a long computation's steps: bootstrap replicates ...) it first records
    them as the job's progress, in a transaction of its own on the job row only, so call
    it with them before the job writes its own rows (on SQLite the job's open write
    would make this one wait).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    hold = app.config.get("JOB_HOLD_FILE") or None
    columns = (EstimationJob.state, EstimationJob.worker, EstimationJob.cancel_requested)
    query = select(*columns).where(EstimationJob.id == job_id)

    def checkpoint(done: int | None = None, total: int | None = None) -> None:
        if done is not None and total is not None:
            with db.engine.begin() as connection:
                connection.execute(
                    update(EstimationJob)
                    .where(EstimationJob.id == job_id, EstimationJob.worker == worker)
                    .where(EstimationJob.state == RUNNING)
                    .values(progress_done=done, progress_total=total)
                )
        while True:
            with db.engine.connect() as connection:  # its own transaction: the latest commit
                state, owner, cancel_requested = connection.execute(query).one()
            if state != RUNNING or owner != worker:
                raise JobStopped(cancelled=False)
            if cancel_requested:
                raise JobStopped(cancelled=True)
            if hold is None or not os.path.exists(hold):
                return
            time.sleep(HOLD_POLL_SECONDS)

    return checkpoint


def run_job(job_id: int) -> str | None:
    """Run one job if it is still queued; return its final state (``None`` if not run)."""
    from registry.plots_ahead import draw_result_plots, drawn_safely
    from registry.services.studies import compute_result
    from registry.services.upload_jobs import run_upload_job

    worker = worker_name()
    upload = None
    if not _claim(job_id, worker):
        return None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(app, job_id, worker, stop), daemon=True)
    beat.start()
    try:
        job = db.session.get(EstimationJob, job_id)
        assert job is not None
        checkpoint = job_checkpoint(job_id, worker)
        upload = job.source_list_id
        if upload is not None:  # a large upload's pairing: codes, pairs, staging deleted
            run_upload_job(job, checkpoint)
        else:
            db.session.add(compute_result(job, checkpoint))
        checkpoint()  # cancelled or reaped while the last step ran: nothing stored
        job.state, job.finished_at = SUCCEEDED, utcnow()
        db.session.commit()
        if upload is None:  # its plots, before anyone asks (registry.plots_ahead)
            drawn_safely(draw_result_plots, job_id)
        return SUCCEEDED
    except JobStopped as stopped:
        db.session.rollback()
        if not stopped.cancelled:
            return None  # reaped and given to another worker meanwhile
        _finish(job_id, worker, state=CANCELLED, upload=upload)
        return CANCELLED
    except Exception as error:  # the job fails with the error; the worker carries on
        db.session.rollback()
        log.exception("estimation job %s failed", job_id)
        error_text = f"{type(error).__name__}: {error}"[:2000]
        _finish(job_id, worker, state=FAILED, error=error_text, upload=upload)
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
            .with_only_columns(
                EstimationJob.id, EstimationJob.attempts, EstimationJob.source_list_id
            )
            .where(EstimationJob.state == RUNNING, EstimationJob.heartbeat_at < cutoff)
        ).all()
        for job_id, attempts, upload in rows:
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
            if upload is not None and not retry and changed.rowcount == 1:
                from registry.services.upload_jobs import discard_staging

                discard_staging(upload)  # the upload's job ends here: its rows go too
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
