"""Org units (country -> region -> district) and population denominators."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.base import Base

#: Levels of the org-unit hierarchy, as DHIS2 numbers them (LEVEL-1 is the country).
COUNTRY, REGION, DISTRICT = 1, 2, 3


class OrgUnit(Base):
    """A country, a region (oblast or city of republican status) or a district.

    ``code`` is the public identifier (ISO 3166-1/-2 where one exists, e.g. ``KG``,
    ``KG-GB``); ``path`` is the materialised path of codes (``/KG/KG-GB/``) so that
    "everything under X" is one indexed ``LIKE 'prefix%'``.
    """

    __tablename__ = "org_units"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 3", name="level_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_ru: Mapped[str | None] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), index=True)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"<OrgUnit {self.code}>"


class Population(Base):
    """Resident population of an org unit in a year, by sex and TDI age group."""

    __tablename__ = "populations"
    __table_args__ = (
        UniqueConstraint("org_unit_id", "year", "sex", "age_group"),
        CheckConstraint("population >= 0", name="population_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    year: Mapped[int] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(1))
    age_group: Mapped[str] = mapped_column(String(8))
    population: Mapped[int] = mapped_column(Integer)

    org_unit: Mapped[OrgUnit] = relationship()
