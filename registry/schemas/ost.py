"""Schemas of the OST forms: enrolment, dose visit, dose change, exit (DOMAIN §4).

Public interface (field names are the HTML form field names)::

    OstEnrolmentSchema().load(form) -> {"medication", "enrolment_date", "induction_dose_mg"
                                        (Decimal | None), "first_maintenance_date" (date | None),
                                        "transferred_from" (centre code | None),
                                        "episode_id" (int | None)}
    DoseSchema().load(form)         -> {"dose_date", "kind", "dose_mg" (Decimal),
                                        "take_home_days" (int; typed for take-home),
                                        ["reinduction_reason" (code), if chosen]}
    DoseChangeSchema().load(form)   -> {"effective_date", "dose_mg", "phase", "reason" (code),
                                        "note" (str | None)}
    OstExitSchema().load(form)      -> {"exit_date", "exit_reason"}

Every dose is 0.5 mg or more with at most one decimal, never rounded
(:func:`registry.schemas.doses.milligrams`; a dose visit may also be 0 for a missed or
withheld dose). Limits that depend on the medication (methadone up to 300 mg,
buprenorphine up to 32 mg; induction at most 40 / 16 mg) are in :data:`MAX_DOSE_MG`
and :data:`MAX_INDUCTION_MG`. The enrolment schema checks them itself; dose forms are
checked by the service, which knows the enrolment's medication.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, validates_schema

from registry import codes
from registry.schemas.base import FormSchema, code, event_date, integer, schedule_date, text
from registry.schemas.doses import milligrams

MAX_DOSE_MG = {"methadone": 300, "buprenorphine": 32}
MAX_INDUCTION_MG = {"methadone": 40, "buprenorphine": 16}
MAX_TAKE_HOME_DAYS = 14
#: Dose kinds that record no dose (0 mg).
NOT_GIVEN = ("missed", "withheld")


class OstEnrolmentSchema(FormSchema):
    """Start of OST at a site (a transfer names the site the client comes from)."""

    medication = code(codes.OST_MEDICATIONS, required=True)
    enrolment_date = event_date()
    induction_dose_mg = milligrams(max(MAX_INDUCTION_MG.values()))
    first_maintenance_date = event_date(required=False)
    transferred_from = text(32)
    episode_id = integer(1, 2**31 - 1)

    @validates_schema(skip_on_field_errors=False)
    def _rules(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """Induction dose within the medication's limit; maintenance after enrolment."""
        errors: dict[str, list[Any]] = {}
        medication, induction = data.get("medication"), data.get("induction_dose_mg")
        if medication in MAX_INDUCTION_MG and induction is not None:
            limit = MAX_INDUCTION_MG[medication]
            if induction > limit:
                errors["induction_dose_mg"] = [
                    _l("The induction dose is above the protocol limit of %(n)s mg.", n=limit)
                ]
        start, maintenance = data.get("enrolment_date"), data.get("first_maintenance_date")
        if start and maintenance and maintenance < start:
            errors["first_maintenance_date"] = [_l("Cannot be before the enrolment date.")]
        if errors:
            raise ValidationError(errors)


class DoseSchema(FormSchema):
    """One dose visit: observed or take-home dose, or a missed/withheld day (0 mg)."""

    dose_date = event_date()
    kind = code(codes.DOSE_KINDS, required=True)
    dose_mg = milligrams(max(MAX_DOSE_MG.values()), zero_allowed=True)
    take_home_days = integer(1, MAX_TAKE_HOME_DAYS)
    #: the re-induction decision after a gap (registry.services.ost.record_dose): absent
    #: from the loaded data unless chosen
    reinduction_reason = code(codes.DOSE_CHANGE_REASONS)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _rules(self, data: dict[str, Any], original: Any, **_kwargs: Any) -> None:
        """A given dose needs mg; take-home days only for take-home doses.

        A dose typed but refused by its field already has its message (``original``
        holds what was typed); "enter the dose" is only for a dose left empty or 0.
        """
        errors: dict[str, list[Any]] = {}
        kind, dose = data.get("kind"), data.get("dose_mg")
        typed = original.get("dose_mg") if isinstance(original, Mapping) else None
        refused = dose is None and typed is not None and str(typed).strip() != ""
        if kind in ("observed", "take_home") and not dose and not refused:
            errors["dose_mg"] = [_l("Enter the dose given: at least 0.5 mg.")]
        days = data.get("take_home_days")
        if days is not None and days > 1 and kind != "take_home":
            errors["take_home_days"] = [_l("Only take-home doses cover more than one day.")]
        typed_days = original.get("take_home_days") if isinstance(original, Mapping) else None
        if kind == "take_home" and days is None and not str(typed_days or "").strip():
            errors["take_home_days"] = [_l("Enter how many days the take-home doses cover.")]
        if data.get("reinduction_reason") and kind != "observed":
            errors["reinduction_reason"] = [
                _l("A re-induction dose is given under observation: choose Observed.")
            ]
        if errors:
            raise ValidationError(errors)

    def load(self, data: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Load, then fill the defaults: 0 mg for missed/withheld, 1 take-home day.

        A missed or withheld day records no dose, whatever is left in the dose box (the
        form pre-fills the prescribed dose; choosing "missed" must not then fail on it).
        """
        if isinstance(data, Mapping) and str(data.get("kind", "")).strip() in NOT_GIVEN:
            data = {key: data[key] for key in data if key != "dose_mg"}
        result = super().load(data, **kwargs)
        if result.get("dose_mg") is None:
            result["dose_mg"] = Decimal(0)
        if result.get("take_home_days") is None:
            result["take_home_days"] = 1
        return result


#: The longest note a dose change takes (the form warns never to type names in it).
MAX_NOTE_LENGTH = 100


class DoseChangeSchema(FormSchema):
    """A new prescribed dose from ``effective_date`` (phase flags induction and tapering).

    ``reason`` is a code (:data:`registry.codes.DOSE_CHANGE_REASONS`), so the reason
    itself can hold no name; ``note`` is an optional short note, shown with a warning
    never to type names or identifying details in it.
    """

    effective_date = schedule_date()  # may be ahead: a scheduled change
    dose_mg = milligrams(max(MAX_DOSE_MG.values()), required=True)
    phase = code(codes.DOSE_PHASES, required=True)
    reason = code(codes.DOSE_CHANGE_REASONS, required=True)
    note = text(MAX_NOTE_LENGTH)


class OstExitSchema(FormSchema):
    """End of OST at a site: date and reason."""

    exit_date = event_date()
    exit_reason = code(codes.OST_EXIT_REASONS, required=True)
