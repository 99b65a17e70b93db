"""Helpers shared by the method adapters: JSON-safe numbers, ratios, parameter errors,
intervals around a value."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError

#: Largest id of an integer primary key (PostgreSQL ``integer``).
MAX_ID = 2**31 - 1


def num(value: float | None) -> float | None:
    """``value`` as a float, or None when missing or not finite (JSON has no NaN)."""
    return None if value is None or not math.isfinite(value) else float(value)


def ratio(abundance: float | None, registered: int) -> float | None:
    """Estimated people per person on the registry's own lists (None without both)."""
    return num(abundance / registered) if abundance is not None and registered else None


def parameter_error(name: str, message: Any) -> ValidationError:
    """A study parameter's error, nested as the request holds it: ``parameters.<name>``."""
    return ValidationError({"parameters": {name: [message]}})


def load_parameters(schema: Schema, parameters: dict[str, Any]) -> dict[str, Any]:
    """Validate ``parameters`` with ``schema``; errors nested under ``parameters``.

    Returns plain JSON values (dates as ISO strings), as the study stores them.
    """
    try:
        loaded = schema.load(parameters)
    except ValidationError as error:
        raise ValidationError({"parameters": error.messages}) from error
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in loaded.items()}


def check_interval(data: dict[str, Any], value: str, *, above: Any, below: Any) -> None:
    """Refuse ``<value>_low`` above ``<value>`` (message ``above``) or ``<value>_high`` below
    it (message ``below``); a missing value or bound is not checked."""
    middle, low, high = data.get(value), data.get(f"{value}_low"), data.get(f"{value}_high")
    if middle is None:
        return
    if low is not None and low > middle:
        raise ValidationError(above, field_name=f"{value}_low")
    if high is not None and high < middle:
        raise ValidationError(below, field_name=f"{value}_high")
