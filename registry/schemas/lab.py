"""Schema of the laboratory test form.

Public interface::

    LabTestSchema().load(form) -> {"test": "HIV" | "HCV" | "TB", "sample_date": date,
                                   "result": "positive" | "negative" | "indeterminate"}
"""

from __future__ import annotations

from registry import codes
from registry.schemas.base import FormSchema, code, event_date


class LabTestSchema(FormSchema):
    """One test result of one client."""

    test = code(codes.LAB_TESTS, required=True)
    sample_date = event_date()
    result = code(codes.LAB_RESULTS, required=True)
