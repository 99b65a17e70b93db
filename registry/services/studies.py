"""Studies and their jobs: create, cancel, list, compute and read results.

Public interface::

    ensure_epidemiology(actor: User | None) -> None        # AccessDenied unless epi/admin
    create_study(data: dict, *, actor: User) -> EstimationJob
    rerun_study(study: Study, *, actor: User) -> EstimationJob
    cancel_job(job: EstimationJob, *, actor: User) -> EstimationJob
    get_job(job_id: int, *, actor: User) -> EstimationJob   # ServiceError "job" if none
    list_jobs(*, actor: User, limit: int = 100) -> list[EstimationJob]
    get_result(job_id: int, *, actor: User) -> EstimationResult
    result_rows(result: EstimationResult) -> list[dict]     # the CSV download's rows
    compute_result(job: EstimationJob, checkpoint=None) -> EstimationResult  # the worker's

``data`` of :func:`create_study` (validated by ``registry.schemas.studies.StudySchema``):
``title``, ``method`` (:data:`registry.services.estimators.METHODS`), ``parameters``
(dict, see :mod:`registry.services.estimators`), ``lists`` (references, see
:mod:`registry.services.linkage`; two or more for capture-recapture, one for count
estimators, the benchmark's or none for a multiplier, none for a projection),
``period`` (ISO), ``area_code``, ``strata`` (``None`` or ``"sex"``, capture-recapture).

Nothing here commits. A created job is queued for the worker when the caller's
transaction commits (:mod:`registry.jobs` listens for the commit), so a rolled-back
study is never run. Every call is audited. Results hold codes' counts, never codes.

An uploaded list must hold at least ``LINKAGE_MIN_LIST_CODES`` distinct codes. The
capture-history counts and the linkage report kept with a result are protected like the
analytics (:func:`registry.services.linkage_disclosure.protect_report`): the estimate is
computed on the exact counts, but only the protected counts are stored and shown.

Provenance of a result: the parameters as run, the capture-history counts, ``input_hash``
(SHA-256 of the method, parameters, period, area, strata and each list's sorted codes),
the software version and the start and end times. The bootstrap is seeded
(``parameters["seed"]``), so re-running on unchanged data reproduces the result exactly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db
from registry.models import EstimationJob, EstimationResult, Study, User
from registry.models.base import utcnow
from registry.models.studies import CANCELLED, FINISHED_STATES, QUEUED, SUCCEEDED
from registry.models.users import ADMIN, EPIDEMIOLOGIST
from registry.services import audit, estimators, linkage
from registry.services.access import AccessDenied
from registry.services.errors import ServiceError
from registry.services.linkage_disclosure import protect_report
from registry.services.periods import find_area, parse_period

#: ``db.session.info`` key of the job ids to enqueue after the commit.
ENQUEUE_KEY = "registry_jobs_to_enqueue"


def software_version() -> str:
    """``narcoregistry <version>`` (the installed package)."""
    try:
        return f"narcoregistry {version('narcoregistry')}"
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "narcoregistry unknown"


def ensure_epidemiology(actor: User | None) -> None:
    """Raise :class:`AccessDenied` unless ``actor`` is an active epidemiologist or admin."""
    if actor is None or not actor.active or actor.role not in (ADMIN, EPIDEMIOLOGIST):
        raise AccessDenied("estimation studies are for epidemiologists")


def _queue(job: EstimationJob) -> None:
    db.session.flush()
    db.session.info.setdefault(ENQUEUE_KEY, []).append(job.id)


def _check_lists(method: str, refs: list[str]) -> None:
    if method == "capture_recapture" and len(set(refs)) < 2:
        raise ServiceError(_l("Choose at least two lists."), "lists")
    if method == "hiv_trend" and refs != ["registry:hiv_tested"]:
        raise ServiceError(_l("The HIV trend uses the list of HIV-tested clients."), "lists")
    if method == "count_estimators" and len(refs) != 1:
        raise ServiceError(_l("Count estimators use exactly one list."), "lists")
    for ref in refs:
        kind, _, name = ref.partition(":")
        known = ref in linkage.REGISTRY_LISTS or (
            kind == "upload" and name.isdigit() and linkage.upload_exists(int(name))
        )
        if not known:
            raise ServiceError(_l("Unknown list."), "lists")
        linkage.check_upload_size(ref, minimum=current_app.config["LINKAGE_MIN_LIST_CODES"])


def create_study(data: dict[str, Any], *, actor: User) -> EstimationJob:
    """Record a study and its first job (queued once the caller commits)."""
    ensure_epidemiology(actor)
    method = data["method"]
    if method not in estimators.METHODS:
        raise ServiceError(_l("Unknown method."), "method")
    refs = list(dict.fromkeys(data["lists"]))
    _check_lists(method, refs)
    start, end = parse_period(data["period"])
    area = find_area(data["area_code"])
    strata = data.get("strata") or None
    if strata is not None and strata not in linkage.STRATA:
        raise ServiceError(_l("Unknown stratifying variable."), "strata")
    parameters = {**estimators.DEFAULT_PARAMETERS[method], **(data.get("parameters") or {})}
    if method in estimators.STUDY_METHODS:
        if strata is not None:
            raise ServiceError(_l("Only capture-recapture studies take strata."), "strata")
        refs, parameters = estimators.check_study(
            method, refs, parameters, actor=actor, period=(start, end)
        )
    study = Study(
        title=(data.get("title") or "").strip() or f"{method} {data['period']}",
        method=method,
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
    audit.record_event(actor, "create", "study", study.id, detail=f"method={method}")
    return rerun_study(study, actor=actor)


def rerun_study(study: Study, *, actor: User) -> EstimationJob:
    """Queue another job of ``study`` (same parameters; the data may have changed)."""
    ensure_epidemiology(actor)
    job = EstimationJob(study=study, state=QUEUED, created_by_id=actor.id, queued_at=utcnow())
    db.session.add(job)
    _queue(job)
    audit.record_event(actor, "create", "estimation_job", job.id, detail=f"study={study.id}")
    return job


def cancel_job(job: EstimationJob, *, actor: User) -> EstimationJob:
    """Cancel a queued job at once; ask a running job's worker to stop."""
    ensure_epidemiology(actor)
    if job.state in FINISHED_STATES:
        raise ServiceError(_l("This job has already finished."), "job")
    if job.state == QUEUED:
        job.state = CANCELLED
        job.finished_at = utcnow()
    job.cancel_requested = True
    audit.record_event(actor, "update", "estimation_job", job.id, detail="cancel")
    return job


def get_job(job_id: int, *, actor: User) -> EstimationJob:
    """The job ``job_id`` (audited read); :class:`ServiceError` on ``job`` if none."""
    ensure_epidemiology(actor)
    job = db.session.get(EstimationJob, job_id)
    if job is None:
        raise ServiceError(_l("There is no such job."), "job")
    audit.record_event(actor, "read", "estimation_job", job.id)
    return job


def list_jobs(*, actor: User, limit: int = 100) -> list[EstimationJob]:
    """The latest jobs, newest first (audited as one read)."""
    ensure_epidemiology(actor)
    jobs = db.session.scalars(select(EstimationJob).order_by(EstimationJob.id.desc()).limit(limit))
    audit.record_event(actor, "read", "estimation_job", None, detail="list")
    return list(jobs)


def get_result(job_id: int, *, actor: User) -> EstimationResult:
    """The result of a succeeded job (audited read)."""
    job = get_job(job_id, actor=actor)
    if job.state != SUCCEEDED or job.result is None:
        raise ServiceError(_l("This job has no result yet."), "job")
    audit.record_event(actor, "read", "estimation_result", job.result.id)
    return job.result


def result_rows(result: EstimationResult) -> list[dict[str, Any]]:
    """One row per model (or stratum) of the result, chosen estimate first (CSV download).

    An HIV trend has no single estimate: its rows are the years.
    """
    payload = result.payload
    rows = estimators.result_rows(payload)
    if rows is not None:
        return rows
    if "estimate" not in payload:
        return [{"row": "year", **year} for year in payload.get("years", [])]
    chosen = {"row": "estimate", **payload["estimate"]}
    others = [{"row": "model", **m} for m in payload.get("models", [])]
    strata = [{"row": f"stratum {k}", **v} for k, v in payload.get("strata", {}).items()]
    return [chosen, *others, *strata]


def input_hash(study: Study, report: dict[str, Any]) -> str:
    """SHA-256 of what the result depends on: the study's settings and each list's codes."""
    basis = {
        "method": study.method,
        "parameters": study.parameters,
        "period": study.period,
        "area": study.area.code,
        "strata": study.strata,
        "lists": [[entry["ref"], entry["digest"]] for entry in report["lists"]],
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def compute_result(
    job: EstimationJob, checkpoint: Callable[[], None] | None = None
) -> EstimationResult:
    """Link the study's lists, run its method and build the result (not committed).

    ``checkpoint()`` is called between the steps of a long computation (the bootstrap's
    replicate batches); what it raises (a cancelled job) stops the computation.
    """
    study = job.study
    started = utcnow()
    area = study.area
    if study.method == "hiv_trend":
        rows = linkage.hiv_tests_by_year(study.period_end.year - int(study.parameters["years"])
                                         + 1, study.period_end, area)  # fmt: skip
        report = {"lists": [{"ref": study.lists[0], "digest": linkage.digest(
            {f"{r['year']}:{r['tested']}:{r['positive']}" for r in rows})}]}  # fmt: skip
        payload = estimators.hiv_trend(rows, study.parameters)
        history_counts = {"lists": study.lists, "years": rows}
    elif study.method == "count_estimators":
        counts = linkage.list_codes(study.lists[0], start=study.period_start,
                                    end=study.period_end, area=area)  # fmt: skip
        frequencies: dict[int, int] = {}
        for times in counts.values():
            frequencies[times] = frequencies.get(times, 0) + 1
        ref = study.lists[0]
        entry = {"ref": ref, "name": linkage.list_name(ref), "count": len(counts)}
        report = {"lists": [{**entry, "digest": linkage.digest(set(counts))}]}
        payload = estimators.count_estimators(frequencies, study.parameters, registered=0)
        history_counts = {"lists": [study.lists[0]], "frequencies": payload["frequencies"]}
    elif study.method in estimators.STUDY_METHODS:
        payload, history_counts, report = estimators.run_study(study)
    else:
        histories, report = linkage.build_histories(
            study.lists, period=study.period, area_code=area.code, strata=study.strata
        )
        payload = estimators.capture_recapture(
            histories, study.parameters, registered=report["registered"], checkpoint=checkpoint
        )
        report = protect_report(report, threshold=current_app.config["SUPPRESSION_THRESHOLD"])
        history_counts = {
            "lists": [entry["name"] for entry in report["lists"]],
            "histories": report["histories"],
            "strata": {k: v["histories"] for k, v in report.get("strata", {}).items()},
        }
        payload["linkage"] = {k: v for k, v in report.items() if k != "lists"}
        payload["linkage"]["lists"] = [
            {k: v for k, v in entry.items() if k != "digest"} for entry in report["lists"]
        ]
    payload["parameters"] = study.parameters
    return EstimationResult(
        job=job,
        payload=payload,
        history_counts=history_counts,
        input_hash=input_hash(study, report),
        software_version=software_version(),
        started_at=started,
        finished_at=utcnow(),
    )
