"""Schemas of the client-level forms: client lookup, admission (TDI 3.0), discharge.

Public interface (field names are the HTML form field names)::

    ClientLookupSchema().load(form) -> {"identifiers": ClientIdentifiers}
    AdmissionSchema().load(form)    -> {"identifiers": ClientIdentifiers, "region_code": str,
                                        "programme": str, "admission_date": date,
                                        <every TDI item of DOMAIN §3>, "secondary_drugs": [str]}
    DischargeSchema().load(form)    -> {"discharge_date": date, "discharge_reason": str}
    age_on(birth_date: date, day: date) -> int

The identifying fields (``family_name``, ``given_name``, ``birth_date``, ``sex``) are
folded into one :class:`~registry.services.client_codes.ClientIdentifiers` by
``post_load``, so the loaded data never carries them loose; services turn it into the
client code and drop it. TDI items left empty become "not known" (``99``; ``3`` for
"ever treated"); ``primary_drug`` is required.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load, validates_schema

from registry import codes
from registry.schemas.base import (
    CHOOSE,
    EARLIEST_BIRTH,
    FormSchema,
    StringField,
    _messages,
    choice,
    code,
    event_date,
    integer,
    max_length,
)
from registry.services.client_codes import ClientIdentifiers, normalise_name

MIN_AGE_AT_ADMISSION, MAX_AGE_AT_ADMISSION = 10, 100
MAX_SECONDARY_DRUGS = 4
#: Injecting (and sharing) answers that say "ever": ``2`` when the last time is not known.
EVER_INJECTED = ("2", "2.1", "2.2", "2.3")


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _has_letters(value: str) -> None:
    """Validator: a name must keep at least one letter after normalisation.

    Not memoised: a cache would keep typed names in the process's memory.
    """
    if not normalise_name(value):
        raise ValidationError([_l("Enter the name in Cyrillic or Latin letters.")])


def _name_field() -> fields.String:
    return StringField(
        required=True,
        validate=[max_length(100), _has_letters],
        error_messages=_messages(invalid=_l("Enter text.")),
    )


class ClientLookupSchema(FormSchema):
    """The four identifying fields; ``load`` returns ``{"identifiers": ClientIdentifiers}``."""

    family_name = _name_field()
    given_name = _name_field()
    birth_date = event_date(earliest=EARLIEST_BIRTH)
    sex = code(codes.SEXES, required=True)

    @post_load
    def _fold_identifiers(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """Replace the loose identifying fields by one ``ClientIdentifiers``."""
        data["identifiers"] = ClientIdentifiers(
            family_name=data.pop("family_name"),
            given_name=data.pop("given_name"),
            birth_date=data.pop("birth_date"),
            sex=data.pop("sex"),
        )
        return data


def _not_known(choices: dict[str, Any], default: str = codes.NOT_KNOWN):
    """A TDI item that defaults to "not known" when left empty."""
    return code(choices, default=default)


class AdmissionSchema(ClientLookupSchema):
    """A new admission: the client's identifiers, residence, programme and TDI items."""

    region_code = StringField(required=True, validate=max_length(32), error_messages=_messages())
    programme = code(codes.PROGRAMMES, required=True)
    admission_date = event_date()

    ever_treated = _not_known(codes.EVER_TREATED, default="3")
    referral_source = _not_known(codes.REFERRAL_SOURCES)
    living_with = _not_known(codes.LIVING_WITH)
    living_with_children = _not_known(codes.LIVING_WITH_CHILDREN)
    living_where = _not_known(codes.LIVING_WHERE)
    education = _not_known(codes.EDUCATION)
    labour_status = _not_known(codes.LABOUR_STATUS)
    primary_drug = code(codes.PRIMARY_DRUGS, required=True)
    route = _not_known(codes.ROUTES)
    frequency = _not_known(codes.FREQUENCIES)
    age_first_use = integer(5, MAX_AGE_AT_ADMISSION)
    secondary_drugs = fields.List(
        StringField(validate=choice(codes.SECONDARY_DRUGS), error_messages=_messages()),
        load_default=list,
        error_messages=_messages(invalid=CHOOSE),
    )
    injecting = _not_known(codes.INJECTING)
    age_first_injection = integer(5, MAX_AGE_AT_ADMISSION)
    needle_sharing = _not_known(codes.NEEDLE_SHARING)
    hiv_testing = _not_known(codes.TESTING_HISTORY)
    hcv_testing = _not_known(codes.TESTING_HISTORY)
    polydrug_use = _not_known(codes.POLYDRUG_USE)
    ost_history = _not_known(codes.OST_HISTORY)
    ost_first_year = integer(1990, 2100)
    #: The answer to a near-spelling warning: a near client's id, or "new" (a new person).
    near_match = StringField(validate=max_length(16), error_messages=_messages())

    @validates_schema(skip_on_field_errors=False)
    def _cross_field_rules(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """Rules between items; each error is reported beside the field to correct."""
        errors: dict[str, list[Any]] = {}

        def fail(field: str, message: Any) -> None:
            errors.setdefault(field, []).append(message)

        birth, admitted = data.get("birth_date"), data.get("admission_date")
        age = None
        if birth and admitted:
            if admitted < birth:
                fail("admission_date", _l("The admission date is before the date of birth."))
            else:
                age = age_on(birth, admitted)
                if not MIN_AGE_AT_ADMISSION <= age <= MAX_AGE_AT_ADMISSION:
                    fail(
                        "birth_date",
                        _l(
                            "Age at admission must be from %(low)s to %(high)s years.",
                            low=MIN_AGE_AT_ADMISSION,
                            high=MAX_AGE_AT_ADMISSION,
                        ),
                    )
                    age = None
        first_use, first_injection = data.get("age_first_use"), data.get("age_first_injection")
        if age is not None and first_use is not None and first_use > age:
            fail("age_first_use", _l("Age at first use cannot be above the age at admission."))
        injecting = data.get("injecting")
        if data.get("route") == "1" and injecting == "1":
            fail("injecting", _l("The primary drug is injected, so injecting cannot be 'never'."))
        if first_injection is not None:
            if injecting == "1":
                fail("age_first_injection", _l("Leave empty for a client who never injected."))
            elif first_use is not None and first_injection < first_use:
                fail("age_first_injection", _l("Cannot be below the age at first use."))
            elif age is not None and first_injection > age:
                fail("age_first_injection", _l("Cannot be above the age at admission."))
        if injecting == "1" and data.get("needle_sharing") in EVER_INJECTED:
            fail("needle_sharing", _l("A client who never injected cannot have shared needles."))
        self._check_secondary_drugs(data, fail)
        self._check_ost_year(data, fail)
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _check_secondary_drugs(data: dict[str, Any], fail: Any) -> None:
        drugs = data.get("secondary_drugs") or []
        if len(drugs) > MAX_SECONDARY_DRUGS:
            fail("secondary_drugs", _l("Choose at most %(n)s drugs.", n=MAX_SECONDARY_DRUGS))
        if len(set(drugs)) != len(drugs):
            fail("secondary_drugs", _l("Each drug can be chosen only once."))
        if data.get("primary_drug") and data["primary_drug"] in drugs:
            fail("secondary_drugs", _l("The primary drug cannot also be a secondary drug."))

    @staticmethod
    def _check_ost_year(data: dict[str, Any], fail: Any) -> None:
        year = data.get("ost_first_year")
        if year is None:
            return
        if data.get("ost_history") not in ("2", "3"):
            fail("ost_first_year", _l("Leave empty unless the client has been on OST."))
        elif data.get("admission_date") and year > data["admission_date"].year:
            fail("ost_first_year", _l("Cannot be after the admission year."))
        elif data.get("birth_date") and year < data["birth_date"].year + MIN_AGE_AT_ADMISSION:
            fail("ost_first_year", _l("Too early for this date of birth."))


class DischargeSchema(FormSchema):
    """The end of an episode: date and reason (checked against the admission by the service)."""

    discharge_date = event_date()
    discharge_reason = code(codes.DISCHARGE_REASONS, required=True)
