"""Users and their roles (clinic staff belong to exactly one centre), and failed sign-ins.

``User.session_epoch`` ends sessions on the server: a session cookie records the epoch
it was signed in under, and is refused once the epoch has moved on (logout, password,
role or deactivation: see :mod:`registry.auth.session`). :class:`SignInFailure` counts
failed sign-ins per typed name, existing or not (see :mod:`registry.auth.throttle`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
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
    #: moves on whenever every session of the user must end
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    centre: Mapped[TreatmentCentre | None] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class SignInFailure(Base):
    """Recent failed sign-ins with one typed name, whether or not such an account exists.

    ``name_key`` is a keyed digest of the name (never the name: a password typed into
    the name box must not be stored). ``failures`` counts since ``first_at``;
    ``locked_at`` is set when they reach the limit. A successful sign-in deletes the row.
    """

    __tablename__ = "sign_in_failures"

    name_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
