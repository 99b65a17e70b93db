"""The demo's published estimate: the default study, run and approved by the demo epidemiologist.

``flask demo load`` ends here so a new user finds the headline comparison (registered vs
estimated users, OST coverage) filled in on the ministry dashboard. What the demo
epidemiologist (``epi``) would do by hand, through the same services and audited as they
are::

    estimate_demo(country: str, years: tuple[int, int], lists_dir: Path) -> DemoEstimate

1. upload the simulator's police, prison and AIDS-centre lists (``lists_dir``) for the
   country and the study year (:func:`registry.services.uploads.upload_code_list`);
2. create the default study of the new-study form: capture-recapture on treatment
   entrants + those three lists, the default model average (AIC weights on these lists)
   (:func:`registry.services.studies.create_study`);
3. run its job here, with the worker's own code (:func:`registry.jobs.runner.run_job`:
   claim, compute, store), instead of leaving it to the worker;
4. approve the result (:func:`registry.services.approvals.approve_result`).

The study year is 2003 (the year docs/validation.md reports) when it was loaded, else the
last loaded year. A study that cannot run (a list with no usable row at a tiny scale, a
failed fit) leaves the loaded registry as it is: the returned ``error`` says why, and the
registry keeps no half-made study (nothing is committed before the job exists) nor an
approval. Never in production.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from registry.demo import DemoRefusedError
from registry.extensions import db
from registry.jobs.runner import run_job
from registry.models import EstimationJob, User
from registry.models.studies import SUCCEEDED
from registry.services import approvals, studies, uploads
from registry.services.errors import ServiceError
from registry.services.job_queue import ENQUEUE_KEY
from registry.services.methods import METHODS, Estimate
from registry.simulation.outputs import LIST_SOURCES
from registry.simulation.profiles import PROFILES

#: The year of the demo's study when it was loaded (the validated default study).
STUDY_YEAR = 2003
#: The demo account that uploads, runs and approves (registry.demo.DEMO_LOGINS).
EPIDEMIOLOGIST = "epi"
#: The registry's own list of the default study; the simulator's lists are added to it.
REGISTRY_LIST = "registry:treatment_entrants"


@dataclass
class DemoEstimate:
    """What the demo's study gave: its job, the approved estimate, or why there is none."""

    area_code: str
    period: str
    study_id: int | None = None
    job_id: int | None = None
    state: str | None = None
    error: str | None = None
    result_id: int | None = None
    estimate: Estimate | None = None
    seconds: float = 0.0

    @property
    def approved(self) -> bool:
        return self.result_id is not None


def study_year(years: tuple[int, int]) -> int:
    """:data:`STUDY_YEAR` if it was loaded, else the last loaded year."""
    first, last = years
    return STUDY_YEAR if first <= STUDY_YEAR <= last else last


def estimate_demo(country: str, years: tuple[int, int], lists_dir: Path) -> DemoEstimate:
    """Upload the lists, run the default study and approve its result (see the module)."""
    if current_app.config["REGISTRY_ENV"] == "production":
        raise DemoRefusedError("the demo's estimate is never made in production")
    clock = time.perf_counter()
    profile = PROFILES[country]
    outcome = DemoEstimate(profile.code, str(study_year(years)))
    epi = db.session.scalar(select(User).where(User.username == EPIDEMIOLOGIST))
    if epi is None:
        outcome.error = f"no demo user {EPIDEMIOLOGIST!r}"
        return outcome
    try:
        job = _create_study(outcome.area_code, outcome.period, lists_dir, epi)
    except (ServiceError, OSError) as error:
        db.session.rollback()
        outcome.error = str(error)
        return outcome
    outcome.study_id, outcome.job_id = job.study_id, job.id
    outcome.state = _run(job.id)
    job = db.session.get(EstimationJob, outcome.job_id)
    assert job is not None
    if outcome.state != SUCCEEDED or job.result is None:
        outcome.error = job.error or f"the job ended {outcome.state}"
    else:
        approvals.approve_result(job.result, actor=epi)
        db.session.commit()
        outcome.result_id = job.result.id
        method = METHODS[job.study.method]
        outcome.estimate = method.estimate(method.read(job.result.payload))
    outcome.seconds = time.perf_counter() - clock
    return outcome


def _create_study(area_code: str, period: str, lists_dir: Path, epi: User) -> EstimationJob:
    """Upload the lists and create the study as ``epi``; committed, not put on the queue."""
    refs = [REGISTRY_LIST]
    for source in LIST_SOURCES:
        with (lists_dir / f"{source}.csv").open("rb") as handle:
            refs.append(uploads.upload_code_list(handle, source_name=source, period=period,
                                                 area_code=area_code, actor=epi).ref)  # fmt: skip
    # no title: the default one ("capture_recapture 2003") reads in each page's language
    study = {"method": "capture_recapture", "lists": refs, "period": period,
             "area_code": area_code}  # fmt: skip
    job = studies.create_study(study, actor=epi)
    # this process runs the job: no queue message, so a running worker cannot take it
    # (were the process to die first, the worker's reaper re-sends the lost message)
    db.session.info.get(ENQUEUE_KEY, []).remove(job.id)
    db.session.commit()
    return job


def _run(job_id: int) -> str | None:
    """Run the job as a worker does; its final state."""
    return run_job(job_id)
