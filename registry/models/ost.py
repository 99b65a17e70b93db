"""Opioid substitution treatment: enrolments, dosing events and dose changes (WHO SMART)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.base import Base, TimestampMixin
from registry.models.centres import TreatmentCentre
from registry.models.clients import Client

Dose = Numeric(7, 2)


class OstEnrolment(TimestampMixin, Base):
    """A client's time on OST at one site, from enrolment to exit (or still open)."""

    __tablename__ = "ost_enrolments"
    __table_args__ = (
        CheckConstraint("exit_date IS NULL OR exit_date >= enrolment_date", name="exit_after"),
        CheckConstraint("(exit_date IS NULL) = (exit_reason IS NULL)", name="exit_complete"),
        Index("ix_ost_enrolments_centre_enrolment", "centre_id", "enrolment_date"),
        # a client is on OST at one site at a time (partial unique index)
        Index(
            "uq_ost_enrolments_open_client",
            "client_id",
            unique=True,
            sqlite_where=text("exit_date IS NULL"),
            postgresql_where=text("exit_date IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("treatment_centres.id"))
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_episodes.id"))
    medication: Mapped[str] = mapped_column(String(16))
    enrolment_date: Mapped[date] = mapped_column(Date)
    induction_dose_mg: Mapped[Decimal | None] = mapped_column(Dose)
    first_maintenance_date: Mapped[date | None] = mapped_column(Date)
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_centres.id"))
    exit_date: Mapped[date | None] = mapped_column(Date)
    exit_reason: Mapped[str | None] = mapped_column(String(32))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    client: Mapped[Client] = relationship()
    centre: Mapped[TreatmentCentre] = relationship(foreign_keys=[centre_id])
    doses: Mapped[list[DosingEvent]] = relationship(
        back_populates="enrolment", order_by="DosingEvent.dose_date"
    )
    dose_changes: Mapped[list[DoseChange]] = relationship(
        back_populates="enrolment", order_by="DoseChange.effective_date"
    )

    @property
    def is_open(self) -> bool:
        """True while the client is on OST at this site."""
        return self.exit_date is None


class DosingEvent(Base):
    """One day's dose: observed, take-home (for ``take_home_days``), missed or withheld."""

    __tablename__ = "ost_dosing_events"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "dose_date"),
        CheckConstraint("dose_mg >= 0", name="dose_non_negative"),
        CheckConstraint("take_home_days >= 1", name="take_home_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("ost_enrolments.id"))
    dose_date: Mapped[date] = mapped_column(Date)
    dose_mg: Mapped[Decimal] = mapped_column(Dose)
    kind: Mapped[str] = mapped_column(String(16))
    take_home_days: Mapped[int] = mapped_column(Integer, default=1)
    dispensed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    enrolment: Mapped[OstEnrolment] = relationship(back_populates="doses")


class DoseChange(Base):
    """A prescribed dose from ``effective_date`` on, flagged by phase (induction, tapering).

    ``reason`` is a code of :data:`registry.codes.DOSE_CHANGE_REASONS` (null on rows
    recorded before reasons were coded, without a reason). ``note`` is an optional short
    clinical note (the form takes 100 characters; the column keeps the up to 200 of the
    free-text reasons the coding migration moved there).
    """

    __tablename__ = "ost_dose_changes"
    __table_args__ = (CheckConstraint("dose_mg >= 0", name="dose_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("ost_enrolments.id"), index=True)
    effective_date: Mapped[date] = mapped_column(Date)
    dose_mg: Mapped[Decimal] = mapped_column(Dose)
    phase: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(200))
    prescribed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    enrolment: Mapped[OstEnrolment] = relationship(back_populates="dose_changes")
