"""Treatment episodes: an admission with the EMCDDA TDI 3.0 items, and its discharge.

Each coded TDI item is checked by the database against its code list
(:data:`CODED_ITEMS`, constraints ``ck_treatment_episodes_<item>_code``), so a code
outside :mod:`registry.codes` cannot be stored by any path, form or bulk load.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry import codes
from registry.models.base import Base, TimestampMixin
from registry.models.centres import TreatmentCentre
from registry.models.clients import Client

Code = String(8)

#: Every single-code TDI item of an admission and its code list (checked by the database).
CODED_ITEMS: dict[str, dict] = {
    "ever_treated": codes.EVER_TREATED,
    "referral_source": codes.REFERRAL_SOURCES,
    "living_with": codes.LIVING_WITH,
    "living_with_children": codes.LIVING_WITH_CHILDREN,
    "living_where": codes.LIVING_WHERE,
    "education": codes.EDUCATION,
    "labour_status": codes.LABOUR_STATUS,
    "primary_drug": codes.PRIMARY_DRUGS,
    "route": codes.ROUTES,
    "frequency": codes.FREQUENCIES,
    "injecting": codes.INJECTING,
    "needle_sharing": codes.NEEDLE_SHARING,
    "hiv_testing": codes.TESTING_HISTORY,
    "hcv_testing": codes.TESTING_HISTORY,
    "polydrug_use": codes.POLYDRUG_USE,
    "ost_history": codes.OST_HISTORY,
}


def code_check(column: str, choices: dict) -> CheckConstraint:
    """``<column> IN (<codes>)``, named ``<column>_code`` (prefixed by the convention)."""
    allowed = ", ".join(f"'{code}'" for code in choices)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_code")


class TreatmentEpisode(TimestampMixin, Base):
    """One stay in one programme (detoxification, outpatient, inpatient rehabilitation...).

    Every TDI item is a code of :mod:`registry.codes` ("99" = not known). The episode is
    open while ``discharge_date`` is null.
    """

    __tablename__ = "treatment_episodes"
    __table_args__ = (
        CheckConstraint(
            "discharge_date IS NULL OR discharge_date >= admission_date",
            name="discharge_after_admission",
        ),
        CheckConstraint(
            "(discharge_date IS NULL) = (discharge_reason IS NULL)", name="discharge_complete"
        ),
        *(code_check(column, choices) for column, choices in CODED_ITEMS.items()),
        Index("ix_treatment_episodes_centre_admission", "centre_id", "admission_date"),
        Index("ix_treatment_episodes_client_admission", "client_id", "admission_date"),
        # the centre's open episodes (the dashboard's reminders), without its closed ones
        Index(
            "ix_treatment_episodes_open_centre",
            "centre_id",
            "admission_date",
            sqlite_where=text("discharge_date IS NULL"),
            postgresql_where=text("discharge_date IS NULL"),
        ),
        # the centre's open episodes by last contact (the dashboard's no-contact reminders)
        Index(
            "ix_treatment_episodes_open_centre_contact",
            "centre_id",
            "last_contact_date",
            sqlite_where=text("discharge_date IS NULL"),
            postgresql_where=text("discharge_date IS NULL"),
        ),
        # the first and last admission of the registry (the ministry dashboard's years)
        Index("ix_treatment_episodes_admission_date", "admission_date"),
        # the centre's open episodes recording injecting, with their clients, read from the
        # index alone (the dashboard's re-test reminders)
        Index(
            "ix_treatment_episodes_open_centre_injecting",
            "centre_id",
            "injecting",
            "client_id",
            sqlite_where=text("discharge_date IS NULL"),
            postgresql_where=text("discharge_date IS NULL"),
        ),
        # at most one open episode of a programme per client and centre (partial index)
        Index(
            "uq_treatment_episodes_open_programme",
            "client_id",
            "centre_id",
            "programme",
            unique=True,
            sqlite_where=text("discharge_date IS NULL"),
            postgresql_where=text("discharge_date IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    centre_id: Mapped[int] = mapped_column(ForeignKey("treatment_centres.id"))
    programme: Mapped[str] = mapped_column(String(32))
    admission_date: Mapped[date] = mapped_column(Date)
    age_at_admission: Mapped[int] = mapped_column(Integer)

    # TDI 3.0 admission items
    ever_treated: Mapped[str] = mapped_column(Code)
    referral_source: Mapped[str] = mapped_column(Code)
    living_with: Mapped[str] = mapped_column(Code)
    living_with_children: Mapped[str] = mapped_column(Code)
    living_where: Mapped[str] = mapped_column(Code)
    education: Mapped[str] = mapped_column(Code)
    labour_status: Mapped[str] = mapped_column(Code)
    primary_drug: Mapped[str] = mapped_column(Code)
    route: Mapped[str] = mapped_column(Code)
    frequency: Mapped[str] = mapped_column(Code)
    age_first_use: Mapped[int | None] = mapped_column(Integer)
    secondary_drugs: Mapped[list[str]] = mapped_column(JSON, default=list)
    injecting: Mapped[str] = mapped_column(Code)
    age_first_injection: Mapped[int | None] = mapped_column(Integer)
    needle_sharing: Mapped[str] = mapped_column(Code)
    hiv_testing: Mapped[str] = mapped_column(Code)
    hcv_testing: Mapped[str] = mapped_column(Code)
    #: "not known" for the admissions recorded before the form asked it
    polydrug_use: Mapped[str] = mapped_column(Code, server_default=codes.NOT_KNOWN)
    ost_history: Mapped[str] = mapped_column(Code)
    ost_first_year: Mapped[int | None] = mapped_column(Integer)

    # discharge
    discharge_date: Mapped[date | None] = mapped_column(Date)
    discharge_reason: Mapped[str | None] = mapped_column(String(32))

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The latest of the admission, the last dose given and the last test of the client at
    #: this centre; stored and kept current by :mod:`registry.services.last_contact`.
    last_contact_date: Mapped[date | None] = mapped_column(Date)

    client: Mapped[Client] = relationship()
    centre: Mapped[TreatmentCentre] = relationship()

    @property
    def is_open(self) -> bool:
        """True while the client has not been discharged."""
        return self.discharge_date is None
