"""Laboratory tests (HIV, HCV, TB) with sample date and result."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.base import Base, TimestampMixin
from registry.models.centres import TreatmentCentre
from registry.models.clients import Client


class LabTest(TimestampMixin, Base):
    """One test of one client, recorded at one centre."""

    __tablename__ = "lab_tests"
    __table_args__ = (
        Index("ix_lab_tests_test_sample_date", "test", "sample_date"),
        # a client's latest test of a kind at a centre (the dashboard's re-test reminders)
        Index("ix_lab_tests_client_centre_test", "client_id", "centre_id", "test", "sample_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("treatment_centres.id"), index=True)
    test: Mapped[str] = mapped_column(String(8))
    sample_date: Mapped[date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    client: Mapped[Client] = relationship()
    centre: Mapped[TreatmentCentre] = relationship()
