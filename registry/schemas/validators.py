"""Validators the schemas share, each raising a translatable message without the value.

``choice``/``between``/``max_length`` return :class:`Choice`, :class:`Between` and
:class:`MaxLength`, which keep their bounds so the OpenAPI document can state them
(:mod:`registry.api.documentation`); ``not_in_future`` and ``not_before`` check dates
against :func:`today` (cached per local day) and name the bound in the reader's notation
(:class:`LocalDate`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

CHOOSE = _l("Choose a value from the list.")
FUTURE_DATE = _l("This date is in the future.")


class Choice:
    """Validator: the value must be one of ``choices`` (keys of a code list); the OpenAPI
    document lists them (:mod:`registry.api.documentation`)."""

    def __init__(self, choices: Mapping[str, Any] | tuple[str, ...]) -> None:
        self.choices = tuple(choices)
        self._allowed = frozenset(self.choices)

    def __call__(self, value: Any) -> None:
        if value not in self._allowed:
            raise ValidationError([CHOOSE])


class Between:
    """Validator: ``low <= value <= high``, with a message naming the bounds (the OpenAPI
    document gives them as ``minimum`` and ``maximum``)."""

    def __init__(self, low: int | Decimal | float, high: int | Decimal | float) -> None:
        self.low, self.high = low, high

    def __call__(self, value: Any) -> None:
        low, high = self.low, self.high
        if not low <= value <= high:
            raise ValidationError(
                [_l("Enter a number from %(low)s to %(high)s.", low=low, high=high)]
            )


class MaxLength:
    """Validator: at most ``limit`` characters (``maxLength`` in the OpenAPI document)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, value: str) -> None:
        if len(value) > self.limit:
            raise ValidationError([_l("Use at most %(n)s characters.", n=self.limit)])


def choice(choices: Mapping[str, Any] | tuple[str, ...]) -> Callable[[Any], None]:
    """Validator: the value must be one of ``choices`` (keys of a code list)."""
    return Choice(choices)


def between(low: int | Decimal, high: int | Decimal) -> Callable[[Any], None]:
    """Validator: ``low <= value <= high``, with a message naming the bounds."""
    return Between(low, high)


def max_length(limit: int) -> Callable[[str], None]:
    """Validator: at most ``limit`` characters."""
    return MaxLength(limit)


#: The local date and the ``time.time()`` span it covers: [date, start, end).
_TODAY: tuple[date, float, float] = (date.min, 0.0, 0.0)


def today() -> date:
    """``date.today()``, recomputed only when the clock leaves the cached local day
    (``date.today()`` reads the time zone on every call, which costs more than the rest
    of a date field's validation)."""
    global _TODAY  # noqa: PLW0603 -- one tuple, replaced whole
    current, start, end = _TODAY
    if not start <= time.time() < end:
        current = date.today()
        midnight = datetime.combine(current, datetime.min.time())
        _TODAY = (current, midnight.timestamp(), (midnight + timedelta(days=1)).timestamp())
    return current


def not_in_future(value: date) -> None:
    """Validator: the date is today or earlier."""
    if value > today():
        raise ValidationError([FUTURE_DATE])


class LocalDate:
    """A date in a message, written as the reader's language writes dates when shown.

    Messages are lazy strings rendered in the request; the date is formatted then too:
    01.01.1990 in Russian, Jan 1, 1990 in English (ISO outside a request, e.g. the API's
    English problem details have a request and read the same as the form).
    """

    def __init__(self, value: date) -> None:
        self.value = value

    def __str__(self) -> str:
        from flask import has_request_context
        from flask_babel import format_date, get_locale

        if not has_request_context():
            return self.value.isoformat()
        russian = str(get_locale() or "ru") == "ru"
        return format_date(self.value, "dd.MM.yyyy" if russian else "medium")


def not_before(earliest: date) -> Callable[[date], None]:
    """Validator: the date is on or after ``earliest`` (named in the reader's notation)."""

    def validate(value: date) -> None:
        if value < earliest:
            raise ValidationError([_l("Enter a date from %(date)s on.", date=LocalDate(earliest))])

    return validate
