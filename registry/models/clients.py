"""Clients: a keyed pseudonymous code and the few attributes analytics need.

No name, full date of birth or document number is ever stored: the code is an
HMAC-SHA256 (keyed with ``LINKAGE_KEY``) of normalised SLK-581 letters, the date of
birth and sex (see :mod:`registry.services.client_codes`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.codes import SEXES
from registry.models.base import Base, utcnow
from registry.models.geography import OrgUnit


class Client(Base):
    """A person known to the registry, identified only by ``code``.

    ``sex`` is a code of :data:`registry.codes.SEXES`: ``M``, ``F`` or ``U`` (not known).
    """

    __tablename__ = "clients"
    __table_args__ = (
        CheckConstraint(f"sex IN ({', '.join(repr(sex) for sex in SEXES)})", name="sex_code"),
        CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="birth_year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    sex: Mapped[str] = mapped_column(String(1))
    birth_year: Mapped[int] = mapped_column(Integer)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    region: Mapped[OrgUnit | None] = relationship()

    def __repr__(self) -> str:
        return f"<Client {self.code[:8]}>"
