"""Schemas of the correction and void forms: the record's fields, a coded reason, a note.

Public interface (field names are the HTML form field names)::

    CORRECTION_SCHEMAS[entity]().load(form) -> {<the record's correctable fields>,
                                                "amendment_reason": code,
                                                "amendment_note": str | None}
    VoidSchema().load(form)                 -> {"amendment_reason", "amendment_note"}

Each correction schema is the record's own entry schema (so a corrected value passes
the same rules as a new one) without the fields a correction cannot change, plus the
reason (:data:`registry.codes.CORRECTION_REASONS`) and an optional short note, which
the form shows with a warning never to type names. An admission cannot change its
identifiers, region, programme or admission date: those define the client's code and
age, so a wrong one is voided and admitted again.
"""

from __future__ import annotations

from typing import Any

from registry import codes
from registry.schemas.base import FormSchema, code, text
from registry.schemas.clients import AdmissionSchema, DischargeSchema
from registry.schemas.lab import LabTestSchema
from registry.schemas.ost import DoseChangeSchema, DoseSchema, OstEnrolmentSchema, OstExitSchema

#: The longest note an amendment takes.
MAX_AMENDMENT_NOTE = 100

#: Admission fields a correction cannot change (see the module docstring).
ADMISSION_FIXED = ("family_name", "given_name", "birth_date", "sex", "region_code",
                   "programme", "admission_date", "near_match")  # fmt: skip


class CorrectionFields(FormSchema):
    """Why a record is corrected: a coded reason and an optional short note."""

    amendment_reason = code(codes.CORRECTION_REASONS, required=True)
    amendment_note = text(MAX_AMENDMENT_NOTE)


class VoidSchema(FormSchema):
    """Why a record is voided (entered in error): a coded reason and an optional note."""

    amendment_reason = code(codes.VOID_REASONS, required=True)
    amendment_note = text(MAX_AMENDMENT_NOTE)


class AdmissionCorrectionSchema(CorrectionFields, AdmissionSchema):
    """The TDI items of an admission (the cross-item rules of the admission form apply)."""

    class Meta(AdmissionSchema.Meta):
        exclude = ADMISSION_FIXED

    def _fold_identifiers(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """No identifiers here: the admission form's ``post_load`` is switched off."""
        return data


class DischargeCorrectionSchema(CorrectionFields, DischargeSchema):
    """A discharge's date and reason."""


class EnrolmentCorrectionSchema(CorrectionFields, OstEnrolmentSchema):
    """An OST enrolment's medication, dates and induction dose (not the transfer link)."""

    class Meta(OstEnrolmentSchema.Meta):
        exclude = ("transferred_from", "episode_id")


class ExitCorrectionSchema(CorrectionFields, OstExitSchema):
    """An OST exit's date and reason."""


class DoseCorrectionSchema(CorrectionFields, DoseSchema):
    """A dose visit's date, kind, dose and take-home days (a re-induction decision given
    with a dose is its own dose change, corrected there)."""

    class Meta(DoseSchema.Meta):
        exclude = ("reinduction_reason",)


class DoseChangeCorrectionSchema(CorrectionFields, DoseChangeSchema):
    """A prescribed dose's date, dose, phase, reason and note."""


class LabTestCorrectionSchema(CorrectionFields, LabTestSchema):
    """A test result's test, sample date and result."""


CORRECTION_SCHEMAS: dict[str, type[FormSchema]] = {
    "episode": AdmissionCorrectionSchema,
    "discharge": DischargeCorrectionSchema,
    "ost_enrolment": EnrolmentCorrectionSchema,
    "ost_exit": ExitCorrectionSchema,
    "dosing_event": DoseCorrectionSchema,
    "dose_change": DoseChangeCorrectionSchema,
    "lab_test": LabTestCorrectionSchema,
}

#: The fields each correction changes on the record (the schema's fields but the reason).
CORRECTED_FIELDS: dict[str, tuple[str, ...]] = {
    entity: tuple(name for name in schema().load_fields if not name.startswith("amendment_"))
    for entity, schema in CORRECTION_SCHEMAS.items()
}
