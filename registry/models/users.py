"""Users and their roles. Clinic staff belong to exactly one centre."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.base import Base, utcnow
from registry.models.centres import TreatmentCentre

ADMIN, CLINIC_STAFF, EPIDEMIOLOGIST, MINISTRY = (
    "admin",
    "clinic_staff",
    "epidemiologist",
    "ministry",
)
ROLE_NAMES = (ADMIN, CLINIC_STAFF, EPIDEMIOLOGIST, MINISTRY)


class User(Base):
    """A person (or machine, through tokens) allowed to use the registry."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'clinic_staff', 'epidemiologist', 'ministry')", name="role_name"
        ),
        CheckConstraint(
            "(role = 'clinic_staff') = (centre_id IS NOT NULL)", name="staff_have_a_centre"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_centres.id"))
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    centre: Mapped[TreatmentCentre | None] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
