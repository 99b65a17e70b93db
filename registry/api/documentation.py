"""How the API documents itself: errors as problem details, the viewer at ``/api/docs``.

flask-smorest documents every operation's error responses with its own error schema as
``application/json``; the registry answers errors with RFC 9457 problem details
(:mod:`registry.errors`), so :class:`ProblemApi` documents those instead, and the
schemathesis run (``tests/registry/api_access/test_schemathesis.py``) checks that the
responses match. :func:`api_docs` serves Swagger UI from ``registry/static/swagger-ui``
(vendored, no internet needed; started by an external script, as the content security
policy allows no inline script).
"""

from __future__ import annotations

import http

from flask import render_template
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields

from registry.auth.roles import public
from registry.errors import PROBLEM_JSON

#: The schema of a 200 answer that is a downloaded text file (CSV, ADX or XML): the
#: response documents its media type with it, so clients see what they will get.
TEXT_FILE = {"type": "string"}
#: The schema of a 200 answer that is a downloaded binary file (an XLSX workbook).
BINARY_FILE = {"type": "string", "format": "binary"}


class FieldErrorSchema(Schema):
    """One invalid field: its name, a JSON pointer to it and the message."""

    field = fields.String()
    pointer = fields.String()
    detail = fields.String()


class ProblemSchema(Schema):
    """An error: RFC 9457 problem details, with the invalid fields for a 422."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))


class CsrfTokenSchema(Schema):
    """The CSRF token a session-signed API client sends as ``X-CSRFToken``."""

    csrf_token = fields.String(required=True)


class ProblemApi(Api):
    """flask-smorest's :class:`Api` with error responses documented as problem details."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error (problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


@public
def api_docs() -> str:
    """The interactive viewer of the OpenAPI document (Swagger UI, vendored)."""
    return render_template("api/docs.html")
