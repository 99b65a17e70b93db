"""Estimation studies: uploaded code lists, duplicate reviews, studies, jobs and results.

* :class:`SourceList` an external list uploaded by an epidemiologist (police contacts,
  NGO outreach ...): its source name, ISO period, area, row counts and the rejected rows
  with their reasons (row number, field, reason; never a submitted value). Its members are
  :class:`SourceListCode` rows holding only client codes (identifier uploads are turned
  into codes in memory, see :mod:`registry.services.uploads`).
* :class:`DuplicateCandidate` two codes that may be one person (near-identical
  identifiers with the same sex and birth date), pending, accepted or rejected.
* :class:`Study` what to estimate (method, parameters, lists, period, area, strata);
  :class:`EstimationJob` one run of it through the worker; :class:`EstimationResult` the
  payload with its provenance and an ``approved`` flag for later publication.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.base import Base, utcnow
from registry.models.geography import OrgUnit


class JobState(StrEnum):
    """The states of an estimation job (stored as their text)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """True once the job will not change state again."""
        return self in FINISHED_STATES


QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = JobState
JOB_STATES = tuple(JobState)
FINISHED_STATES = (SUCCEEDED, FAILED, CANCELLED)

#: the states of an uploaded list (see :attr:`SourceList.state`)
LIST_READY, LIST_PROCESSING = "ready", "processing"

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
REVIEW_DECISIONS = (PENDING, ACCEPTED, REJECTED)


class SourceList(Base):
    """An external list of client codes for one ISO period and area."""

    __tablename__ = "source_lists"
    __table_args__ = (
        CheckConstraint("kind IN ('codes', 'identifiers')", name="kind_name"),
        CheckConstraint("period_end >= period_start", name="period_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    area_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    row_count: Mapped[int] = mapped_column(Integer)
    accepted_count: Mapped[int] = mapped_column(Integer)
    code_count: Mapped[int] = mapped_column(Integer)
    #: ``[{"row": 3, "field": "birth_date", "reason": "..."}]``: no submitted value.
    rejected_rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    area: Mapped[OrgUnit] = relationship()
    #: the worker's job that pairs a large upload (``None``: stored in the request)
    job: Mapped[EstimationJob | None] = relationship(
        primaryjoin="SourceList.id == foreign(EstimationJob.source_list_id)",
        viewonly=True,
        uselist=False,
    )

    @property
    def ref(self) -> str:
        """The reference a study uses for this list (``upload:<id>``)."""
        return f"upload:{self.id}"

    @property
    def state(self) -> str:
        """``ready``, or while its job pairs it ``processing``, then ``failed``/``cancelled``."""
        if self.job is None or self.job.state == SUCCEEDED:
            return LIST_READY
        if self.job.state in (QUEUED, RUNNING):
            return LIST_PROCESSING
        return self.job.state


class UploadStaging(Base):
    """One code of a large identifier upload, waiting for the worker to pair it.

    Only what the pairing needs and no identifier: the code, its occurrences, sex and
    birth year, the keyed hashes of its five blocking keys (:mod:`registry.services.
    upload_jobs`; truncated HMACs, never the letters or the date) and the registry
    clients' codes it matched in the request. The job deletes the rows it used.
    """

    __tablename__ = "upload_staging"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(
        ForeignKey("source_lists.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    occurrences: Mapped[int] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    #: five keyed hashes, 16 hex digits each, joined by spaces (position 0 to 4)
    blocks: Mapped[str] = mapped_column(String(84))
    #: ``[[code_a, code_b, reason], ...]`` as JSON text: the pairs with registry clients
    #: found in the request (text, as the bulk insert sends it on both backends)
    registry_pairs: Mapped[str] = mapped_column(Text, default="[]")


class SourceListCode(Base):
    """One distinct client code on an uploaded list, with how often it appeared."""

    __tablename__ = "source_list_codes"
    __table_args__ = (UniqueConstraint("list_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("source_lists.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    #: known for identifier uploads (used by strata); ``None`` for code uploads
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_year: Mapped[int | None] = mapped_column(Integer)


class DuplicateCandidate(Base):
    """Two codes that may belong to one person, for the epidemiologist to review.

    ``list_id`` is the upload whose identifiers produced the pair. An accepted pair
    makes linkage treat ``code_b`` as ``code_a``; a rejected or pending one changes nothing.
    """

    __tablename__ = "duplicate_candidates"
    __table_args__ = (
        CheckConstraint("decision IN ('pending', 'accepted', 'rejected')", name="decision_name"),
        Index("ix_duplicate_candidates_list_decision", "list_id", "decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int | None] = mapped_column(ForeignKey("source_lists.id", ondelete="CASCADE"))
    code_a: Mapped[str] = mapped_column(String(64))
    code_b: Mapped[str] = mapped_column(String(64))
    #: where the match was found: ``"upload"`` (both on the list) or ``"registry"``
    scope: Mapped[str] = mapped_column(String(16))
    #: what differs: ``"family_name"``, ``"given_name"``
    reason: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16), default=PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Study(Base):
    """What to estimate: a method with parameters, on lists for a period and area."""

    __tablename__ = "studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(32))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: list references: ``"registry:ost"``, ``"upload:12"`` ...
    lists: Mapped[list[str]] = mapped_column(JSON, default=list)
    period: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    area_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    #: stratifying variable (``"sex"``) or ``None``
    strata: Mapped[str | None] = mapped_column(String(32))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    area: Mapped[OrgUnit] = relationship()
    jobs: Mapped[list[EstimationJob]] = relationship(
        back_populates="study", order_by="EstimationJob.id"
    )


class EstimationJob(Base):
    """One run of a study by the worker: queued -> running -> succeeded/failed/cancelled."""

    __tablename__ = "estimation_jobs"
    __table_args__ = (
        CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name="state_name",
        ),
        Index("ix_estimation_jobs_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the study the job runs, or ``None`` for the pairing of a large upload
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.id"), index=True)
    #: the upload whose duplicate pairs the job finds (``None`` for a study's job)
    source_list_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_lists.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker: Mapped[str | None] = mapped_column(String(120))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: what a running job reported at its last checkpoint: ``done`` of ``total`` steps
    #: (bootstrap replicates ...); empty for a job that reports none
    progress_done: Mapped[int | None] = mapped_column(Integer)
    progress_total: Mapped[int | None] = mapped_column(Integer)

    study: Mapped[Study | None] = relationship(back_populates="jobs")
    result: Mapped[EstimationResult | None] = relationship(back_populates="job")

    @property
    def finished(self) -> bool:
        """True once the job succeeded, failed or was cancelled."""
        return self.state in FINISHED_STATES


class EstimationResult(Base):
    """A job's result with its provenance; ``approved`` gates publication (issue 7)."""

    __tablename__ = "estimation_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("estimation_jobs.id"), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: ``{"lists": [...], "histories": {"110": 12, ...}}``
    history_counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    input_hash: Mapped[str] = mapped_column(String(64))
    software_version: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    job: Mapped[EstimationJob] = relationship(back_populates="result")
