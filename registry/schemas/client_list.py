"""Schema of the client list's filters (a GET form: the query string).

Public interface::

    ClientListSchema().load(request.args) -> {"code" (lower-case hex | None),
        "open" (bool), "programme" (code | None), "ost" (bool),
        "hiv" ("known" | "unknown" | None), "admitted_from" / "admitted_to" (date | None),
        "page" (int, from 1)}
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, post_load, validates_schema

from registry import codes
from registry.schemas.base import FormSchema, event_date, integer, text
from registry.schemas.base import code as code_list

HIV_STATUS = {"known": _l("HIV status known"), "unknown": _l("HIV status not known")}
YES = {"1": _l("Yes")}
HEX = re.compile(r"^[0-9a-f]{1,64}$")


class ClientListSchema(FormSchema):
    """Filters of the centre's client list; every one optional."""

    code = text(64)
    open = code_list(YES)
    programme = code_list(codes.PROGRAMMES)
    ost = code_list(YES)
    hiv = code_list(HIV_STATUS)
    admitted_from = event_date(required=False)
    admitted_to = event_date(required=False)
    page = integer(1, 100_000)

    @validates_schema(skip_on_field_errors=False)
    def _rules(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """The code prefix is hex digits; the period does not end before it starts."""
        errors: dict[str, list[Any]] = {}
        prefix = data.get("code")
        if prefix is not None and not HEX.match(prefix.lower()):
            errors["code"] = [_l("A client code has only the digits 0-9 and letters a-f.")]
        start, end = data.get("admitted_from"), data.get("admitted_to")
        if start and end and end < start:
            errors["admitted_to"] = [_l("The end of the period is before its start.")]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _normalise(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["code"] = data["code"].lower() if data.get("code") else None
        data["open"] = data.get("open") == "1"
        data["ost"] = data.get("ost") == "1"
        data["page"] = data.get("page") or 1
        return data
