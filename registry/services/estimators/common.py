"""Helpers shared by the method adapters: JSON-safe numbers and ratios."""

from __future__ import annotations

import math


def num(value: float | None) -> float | None:
    """``value`` as a float, or None when missing or not finite (JSON has no NaN)."""
    return None if value is None or not math.isfinite(value) else float(value)


def ratio(abundance: float | None, registered: int) -> float | None:
    """Estimated people per person on the registry's own lists (None without both)."""
    return num(abundance / registered) if abundance is not None and registered else None
