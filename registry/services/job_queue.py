"""Jobs queued by a request are sent to the worker only once the request's commit holds.

``queue_after_commit(job)`` flushes ``job`` and notes its id under :data:`ENQUEUE_KEY` in
``db.session.info``; :mod:`registry.jobs` sends the noted ids after the commit and forgets
them on a rollback, so a failed request never leaves a message for a job that is not there.
``draw_dashboard_after_commit()`` does the same for drawing the ministry dashboard's plots
ahead (an approval or a withdrawal changes the estimates they show).
"""

from __future__ import annotations

from registry.extensions import db
from registry.models import EstimationJob

#: ``db.session.info`` key of the job ids to enqueue after the commit.
ENQUEUE_KEY = "registry_jobs_to_enqueue"


def queue_after_commit(job: EstimationJob) -> None:
    """Flush ``job`` and have it sent to the worker when the session commits."""
    db.session.flush()
    db.session.info.setdefault(ENQUEUE_KEY, []).append(job.id)


#: ``db.session.info`` key: draw the dashboard's plots ahead after the commit.
DRAW_DASHBOARD_KEY = "registry_draw_dashboard"


def draw_dashboard_after_commit() -> None:
    """Have the worker draw the dashboard's plots once the session commits."""
    db.session.info[DRAW_DASHBOARD_KEY] = True
