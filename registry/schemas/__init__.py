"""Marshmallow schemas: the one validation layer for the HTML forms and the JSON API.

Field names are the HTML form field names. ``Schema().load(request.form)`` accepts the
``MultiDict`` as is; on error ``ValidationError.messages`` is ``{field: [message, ...]}``
with translatable (lazy) messages that never repeat the value typed in.
"""

from registry.schemas.auth import LoginSchema
from registry.schemas.clients import AdmissionSchema, ClientLookupSchema, DischargeSchema
from registry.schemas.lab import LabTestSchema
from registry.schemas.ost import DoseChangeSchema, DoseSchema, OstEnrolmentSchema, OstExitSchema

__all__ = [
    "AdmissionSchema",
    "ClientLookupSchema",
    "DischargeSchema",
    "DoseChangeSchema",
    "DoseSchema",
    "LabTestSchema",
    "LoginSchema",
    "OstEnrolmentSchema",
    "OstExitSchema",
]
