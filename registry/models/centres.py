"""Treatment centres: dispensaries, OST sites, rehabilitation centres, prison units, NGOs."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.codes import TDI_CENTRE_TYPES
from registry.models.base import Base
from registry.models.geography import OrgUnit


class TreatmentCentre(Base):
    """A place where clients are treated.

    ``kind`` is the local service type (:data:`registry.codes.CENTRE_KINDS`);
    ``tdi_centre_type`` is the EMCDDA TDI treatment-centre type
    (:data:`registry.codes.TDI_CENTRE_TYPES`, ``99`` not known; checked by the database)
    used by the indicators. ``name_ru`` is the Russian name the Russian interface shows
    (``name`` when there is none).
    """

    __tablename__ = "treatment_centres"
    __table_args__ = (
        CheckConstraint(
            f"tdi_centre_type IN ({', '.join(repr(t) for t in TDI_CENTRE_TYPES)})",
            name="tdi_centre_type_code",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    tdi_centre_type: Mapped[str] = mapped_column(String(4))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)

    org_unit: Mapped[OrgUnit] = relationship()

    def __repr__(self) -> str:
        return f"<TreatmentCentre {self.code}>"
