"""Studies and their jobs: create, cancel, list, compute and read results.

Public interface::

    ensure_epidemiology(actor: User | None) -> None        # AccessDenied unless epi/admin
    create_study(data: dict, *, actor: User) -> EstimationJob
    rerun_study(study: Study, *, actor: User) -> EstimationJob   # parameters checked again
    checked_parameters(study) -> dict   # ValidationError: its method now refuses them
    cancel_job(job: EstimationJob, *, actor: User) -> EstimationJob
    get_job(job_id: int, *, actor: User) -> EstimationJob   # NotFound if none
    list_jobs(*, actor: User, limit: int = 100) -> list[EstimationJob]
    get_result(job_id: int, *, actor: User) -> EstimationResult   # NotFound / ServiceError
    result_rows(result: EstimationResult) -> list[dict]     # the CSV download's rows
    compute_result(job: EstimationJob, checkpoint=None) -> EstimationResult  # the worker's

``data`` of :func:`create_study` (validated by ``registry.schemas.studies.StudySchema``):
``title``, ``method`` (a key of :data:`registry.services.methods.METHODS`), ``parameters``
(validated again here by the method's own schema, which fills in its defaults),
``lists`` (references, see :mod:`registry.services.linkage`; the method's ``check`` says
how many), ``period`` (ISO), ``area_code``, ``strata`` (``None`` or ``"sex"``, for the
methods that take strata).

Nothing here commits. A created job is queued for the worker when the caller's
transaction commits (:mod:`registry.jobs` listens for the commit), so a rolled-back
study is never run. Every call is audited once. Results hold codes' counts, never codes.

An uploaded list must hold at least ``LINKAGE_MIN_LIST_CODES`` distinct codes. The
capture-history counts and the linkage report kept with a result are protected like the
analytics (:func:`registry.services.linkage_disclosure.protect_report`): the estimate is
computed on the exact counts, but only the protected counts are stored and shown.

Provenance of a result: the parameters as run, the capture-history counts, ``input_hash``
(SHA-256 of the method, parameters, period, area, strata and each list's sorted codes),
the software version and the start and end times. Random draws are seeded
(``parameters["seed"]``), so re-running on unchanged data reproduces the result exactly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select

from registry.extensions import db
from registry.models import EstimationJob, EstimationResult, SourceList, Study, User
from registry.models.base import utcnow
from registry.models.studies import JobState
from registry.schemas.base import error_paths
from registry.services import audit, linkage
from registry.services.access import ensure_epidemiology
from registry.services.errors import NotFound, ServiceError
from registry.services.job_queue import queue_after_commit
from registry.services.methods import METHODS
from registry.services.periods import find_area, parse_period


def software_version() -> str:
    """``narcoregistry <version>`` (the installed package)."""
    try:
        return f"narcoregistry {version('narcoregistry')}"
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "narcoregistry unknown"


def _check_refs(refs: list[str]) -> None:
    """Every list exists and is large enough to link."""
    for ref in refs:
        kind, _, name = ref.partition(":")
        known = ref in linkage.REGISTRY_LISTS or (
            kind == "upload" and name.isdigit() and linkage.upload_exists(int(name))
        )
        if not known:
            raise ServiceError(_l("Unknown list."), "lists")
        linkage.check_upload_size(ref, minimum=current_app.config["LINKAGE_MIN_LIST_CODES"])


def _check_list_periods(refs: list[str], start: date, end: date) -> None:
    """Refuse an uploaded list whose period does not overlap the study's (issue 14: a 2026
    study on 2004 lists ran, was labelled 2026 and could be approved). The registry's own
    lists are always read for the study's period."""
    for ref in refs:
        kind, _, name = ref.partition(":")
        source = db.session.get(SourceList, int(name)) if kind == "upload" else None
        if source is None:
            continue
        first, last = parse_period(source.period)
        if last < start or first > end:
            message = _l(
                "The list %(name)s is of %(period)s, outside the study's period: choose lists "
                "of the same period, or study their period.",
                name=source.source_name,
                period=source.period,
            )
            raise ServiceError(message, "lists")


def create_study(data: dict[str, Any], *, actor: User) -> EstimationJob:
    """Record a study and its first job (queued once the caller commits)."""
    ensure_epidemiology(actor)
    method = METHODS.get(data["method"])
    if method is None:
        raise ServiceError(_l("Unknown method."), "method")
    parameters = method.load(data.get("parameters") or {})
    refs = list(dict.fromkeys(data.get("lists") or ()))
    if not refs and not method.listless:
        raise ServiceError(_l("This field is required."), "lists")
    start, end = parse_period(data["period"])
    area = find_area(data["area_code"])
    strata = data.get("strata") or None
    if strata is not None and strata not in linkage.STRATA:
        raise ServiceError(_l("Unknown stratifying variable."), "strata")
    if strata is not None and not method.takes_strata:
        raise ServiceError(_l("Only capture-recapture studies take strata."), "strata")
    context: dict[str, Any] = {"area": area} if method.checks_area else {}
    if method.takes_strata:
        context["strata"] = strata
    refs = method.check(refs, parameters, actor=actor, period=(start, end), **context)
    _check_refs(refs)
    _check_list_periods(refs, start, end)
    if method.check_lists is not None:
        method.check_lists(refs, parameters, period=data["period"], area=area, strata=strata)
    study = Study(
        title=(data.get("title") or "").strip() or f"{method.name} {data['period']}",
        method=method.name,
        parameters=parameters,
        lists=refs,
        period=data["period"].strip(),
        period_start=start,
        period_end=end,
        area_id=area.id,
        strata=strata,
        created_by_id=actor.id,
    )
    db.session.add(study)
    db.session.flush()
    audit.record_event(actor, "create", "study", study.id, detail=f"method={method.name}")
    return rerun_study(study, actor=actor)


class StoredParametersError(ValueError):
    """A stored study whose parameters its method's schema now refuses (a bound added
    after the study was stored): it cannot run until a new study is made."""


def checked_parameters(study: Study) -> dict[str, Any]:
    """The study's stored parameters, validated again by its method's schema.

    A study stored before a rule of its method existed (a bound, a choice) may hold a
    parameter the method now refuses: running it must not pass that value to the
    computation. Raises ``ValidationError`` naming ``parameters/<field>``, as at creation.
    """
    return METHODS[study.method].load(study.parameters)


def rerun_study(study: Study, *, actor: User) -> EstimationJob:
    """Queue another job of ``study`` (same parameters; the data may have changed).

    The stored parameters are checked again first (:func:`checked_parameters`): a study
    its method now refuses gets no job (``ValidationError`` on ``parameters/<field>``).
    """
    ensure_epidemiology(actor)
    checked_parameters(study)
    job = EstimationJob(
        study=study, state=JobState.QUEUED, created_by_id=actor.id, queued_at=utcnow()
    )
    db.session.add(job)
    queue_after_commit(job)
    audit.record_event(actor, "create", "estimation_job", job.id, detail=f"study={study.id}")
    return job


def cancel_job(job: EstimationJob, *, actor: User) -> EstimationJob:
    """Cancel a queued job at once; ask a running job's worker to stop."""
    ensure_epidemiology(actor)
    if JobState(job.state).finished:
        raise ServiceError(_l("This job has already finished."), "job")
    if job.state == JobState.QUEUED:
        job.state = JobState.CANCELLED
        job.finished_at = utcnow()
        if job.source_list_id is not None:  # an upload's staging rows are never used now
            from registry.services.upload_jobs import discard_staging

            discard_staging(job.source_list_id)
    job.cancel_requested = True
    audit.record_event(actor, "update", "estimation_job", job.id, detail="cancel")
    return job


def _find_job(job_id: int) -> EstimationJob:
    job = db.session.get(EstimationJob, job_id)
    if job is None:
        raise NotFound(_l("There is no such job."), "job")
    return job


def get_job(job_id: int, *, actor: User) -> EstimationJob:
    """The job ``job_id`` (audited read); :class:`NotFound` if there is none."""
    ensure_epidemiology(actor)
    job = _find_job(job_id)
    audit.record_event(actor, "read", "estimation_job", job.id)
    return job


def list_jobs(*, actor: User, limit: int = 100) -> list[EstimationJob]:
    """The latest studies' jobs, newest first (audited as one read).

    An upload's pairing job is shown with its upload (``SourceList.job``), not here.
    """
    ensure_epidemiology(actor)
    query = select(EstimationJob).where(EstimationJob.study_id.is_not(None))  # not uploads
    jobs = db.session.scalars(query.order_by(EstimationJob.id.desc()).limit(limit))
    audit.record_event(actor, "read", "estimation_job", None, detail="list")
    return list(jobs)


def get_result(job_id: int, *, actor: User) -> EstimationResult:
    """The result of a succeeded job: one role check, one audited read.

    :class:`NotFound` if there is no such job; :class:`ServiceError` on ``job`` if it has
    no result (yet).
    """
    ensure_epidemiology(actor)
    job = _find_job(job_id)
    if job.state != JobState.SUCCEEDED or job.result is None:
        raise ServiceError(_l("This job has no result yet."), "job")
    audit.record_event(actor, "read", "estimation_result", job.result.id)
    return job.result


def result_rows(result: EstimationResult) -> list[dict[str, Any]]:
    """The CSV rows of the result, as its method lays them out (estimate first)."""
    method = METHODS[result.job.study.method]
    return method.rows(method.read(result.payload))


def input_hash(study: Study, basis: dict[str, Any]) -> str:
    """SHA-256 of what the result depends on: the study's settings and each list's codes."""
    basis = {
        "method": study.method,
        "parameters": study.parameters,
        "period": study.period,
        "area": study.area.code,
        "strata": study.strata,
        "lists": [[entry["ref"], entry["digest"]] for entry in basis["lists"]],
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def compute_result(
    job: EstimationJob, checkpoint: Callable[[], None] | None = None
) -> EstimationResult:
    """Run the study's method on today's data and build the result (not committed).

    ``checkpoint()`` is called between the steps of a long computation (the bootstrap's
    replicate batches); what it raises (a cancelled job) stops the computation.
    """
    study = job.study
    started = utcnow()
    method = METHODS[study.method]
    try:
        checked_parameters(study)
    except ValidationError as error:
        problems = "; ".join(
            f"{path}: {' '.join(str(text) for text in texts)}"
            for path, texts in error_paths(error.messages).items()
        )
        raise StoredParametersError(
            f"the study's stored parameters are refused by its method's checks, which are "
            f"stricter than when it was stored ({problems}); make a new study"
        ) from None
    computed = method.run(study, checkpoint)
    payload = {**computed.payload, "parameters": study.parameters}
    payload["warnings"] = method.warnings(method.read(payload))
    return EstimationResult(
        job=job,
        payload=payload,
        history_counts=computed.history_counts,
        input_hash=input_hash(study, computed.basis),
        software_version=software_version(),
        started_at=started,
        finished_at=utcnow(),
    )
