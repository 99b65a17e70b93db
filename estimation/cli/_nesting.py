"""The nested-lists warning of every ``capture-recapture`` output (JSON key and text lines).

Private to :mod:`estimation.cli`; the check is
:func:`estimation.capture_recapture.nesting.nested_lists`.
"""

from __future__ import annotations

from estimation.capture_recapture import CaptureHistories
from estimation.capture_recapture.nesting import nested_lists

__all__ = ["nesting_json", "nesting_text"]


def nesting_json(histories: CaptureHistories) -> list[dict[str, object]]:
    """``nested_lists`` of a JSON output: each nested pair, with an English ``message``."""
    return [{**pair.to_dict(), "message": pair.describe()} for pair in nested_lists(histories)]


def nesting_text(histories: CaptureHistories) -> str:
    """Lines to add to a text output ("" when no list is nested in another)."""
    pairs = nested_lists(histories)
    return "".join(f"\nWARNING: {pair.describe()}." for pair in pairs)
