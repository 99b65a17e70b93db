"""Analytics tables: the canonical suppressed tables, generated ahead of the requests.

A *generation* is one run of :func:`registry.analytics.refresh.refresh_tables`: for every
indicator family and every calendar year from the first to the last year with data, the
family's canonical table (all org units x sex x age or category, with margins, suppressed
once) is stored as :class:`AnalyticsTable` with its published cells
(:class:`AnalyticsCell`; ``value`` NULL = withheld; zero cells are not stored). Requests
read the newest generation; the one before it is kept for requests that started on it.
:class:`AnalyticsChange` rows say that the registry data changed since: one row per
transaction that wrote a client, episode, enrolment, dose change, test, centre, org unit
or population (see :mod:`registry.analytics.changes`). No row here holds anything about
a person: a stored value is a count at or above the suppression threshold.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, utcnow


class AnalyticsGeneration(Base):
    """One refresh of the analytics tables: when, what it covered, how long it took."""

    __tablename__ = "analytics_generations"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: every :class:`AnalyticsChange` up to this id is reflected in the tables
    covers_change_id: Mapped[int] = mapped_column(Integer, default=0)
    threshold: Mapped[int] = mapped_column(Integer)
    first_year: Mapped[int | None] = mapped_column(Integer)
    last_year: Mapped[int | None] = mapped_column(Integer)
    tables: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class AnalyticsTable(Base):
    """A family's canonical table for the year (or census) ending on ``period_end``."""

    __tablename__ = "analytics_tables"
    __table_args__ = (UniqueConstraint("generation_id", "family", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    generation_id: Mapped[int] = mapped_column(ForeignKey("analytics_generations.id"))
    family: Mapped[str] = mapped_column(String(32))
    period_end: Mapped[date] = mapped_column(Date)
    #: :func:`registry.analytics.tables.table_digest`: a refresh with the same digest
    #: publishes the table as this generation did
    counts_digest: Mapped[str | None] = mapped_column(String(64))


class AnalyticsCell(Base):
    """One published cell that is not zero: its count, or NULL when withheld."""

    __tablename__ = "analytics_cells"

    table_id: Mapped[int] = mapped_column(ForeignKey("analytics_tables.id"), primary_key=True)
    indicator: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sex: Mapped[str] = mapped_column(String(1), primary_key=True)
    #: age group, category option, or ``T`` (all)
    x: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int | None] = mapped_column(Integer)


class AnalyticsChange(Base):
    """The registry data changed (one row per writing transaction).

    A refresh deletes the rows it covered except the newest, so the next id is still
    larger than ``covers_change_id`` on SQLite too (which reuses the largest id + 1).
    """

    __tablename__ = "analytics_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
