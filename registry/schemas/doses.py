"""Dose fields: a dose in mg is taken as typed or refused, never rounded.

A dose is 0.5 mg or more with at most one decimal (62.5, not 62.55): a decimal field
that quantised to two places once turned 1e-22 mg into a 0 mg prescription and
60.123456789 into 60.12. Every form that takes a dose uses :func:`milligrams`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, missing

from registry.schemas.base import INVALID_NUMBER, DecimalField, _messages

#: The smallest dose the registry records, and the finest step of a dose (one decimal).
MIN_DOSE_MG = Decimal("0.5")
DOSE_STEP_MG = Decimal("0.1")


def dose_amount(high: int, *, zero_allowed: bool) -> Callable[[Decimal], None]:
    """Validator: a dose from :data:`MIN_DOSE_MG` to ``high`` mg with at most one decimal.

    A dose is never rounded: 1e-22 mg or 60.123456789 mg is refused, not stored as 0 or
    60.12. ``zero_allowed``: 0 also passes (a missed or withheld dose). The range is
    checked first, so the remainder is only taken of a dose of ordinary size.
    """

    def validate(value: Decimal) -> None:
        if value == 0 and zero_allowed:
            return
        if value < MIN_DOSE_MG:
            raise ValidationError([_l("Enter a dose of at least 0.5 mg.")])
        if value > high:
            raise ValidationError([_l("Enter a dose of at most %(n)s mg.", n=high)])
        if value % DOSE_STEP_MG != 0:
            raise ValidationError(
                [_l("Enter the dose with at most one decimal place (for example 62.5).")]
            )

    return validate


def milligrams(high: int, *, required: bool = False, zero_allowed: bool = False) -> fields.Decimal:
    """A dose in mg, 0.5 to ``high`` with at most one decimal (:func:`dose_amount`)."""
    return DecimalField(
        required=required,
        load_default=None if not required else missing,
        validate=dose_amount(high, zero_allowed=zero_allowed),
        error_messages=_messages(invalid=INVALID_NUMBER, special=INVALID_NUMBER),
    )
