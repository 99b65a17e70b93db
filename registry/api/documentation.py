"""How the API documents itself: errors as problem details, bounds and choices of fields,
each method's study parameters, the viewer at ``/api/docs``.

flask-smorest documents every operation's error responses with its own error schema as
``application/json``; the registry answers errors with RFC 9457 problem details
(:mod:`registry.errors`), so :class:`ProblemApi` documents those instead, and the
schemathesis run (``tests/registry/api_access/test_schemathesis.py``) checks that the
responses match. :func:`validator_properties` documents the registry's own validators
(:class:`~registry.schemas.validators.Between`, :class:`~registry.schemas.validators.Choice`,
:class:`~registry.schemas.base.MaxLength`) as ``minimum``/``maximum``, ``enum`` and
``maxLength``, and a default made by a function as its value. The body of ``POST
/api/jobs`` is one schema per method (:func:`study_request_body`), a ``oneOf`` on the
``method`` discriminator whose ``parameters`` are the method module's own ``Parameters``
schema (:func:`register_study_schemas`): the one source of the defaults and bounds the
server applies, so the document cannot drift from them. :func:`api_docs` serves Swagger
UI from ``registry/static/swagger-ui`` (vendored, no internet needed; started by an
external script, as the content security policy allows no inline script).
"""

from __future__ import annotations

import http
import threading
from typing import Any

from apispec import APISpec
from flask import render_template
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields

from registry.auth.roles import public
from registry.errors import PROBLEM_JSON
from registry.schemas.validators import Between, Choice, MaxLength
from registry.services.methods import METHODS

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


def validator_properties(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
    """OpenAPI properties of the registry's validators on ``field``, and a default that a
    function makes (apispec leaves those out). Bound to apispec's field converter."""
    properties: dict[str, Any] = {}
    for validator in field.validators:
        if isinstance(validator, Between):
            properties["minimum"], properties["maximum"] = validator.low, validator.high
        elif isinstance(validator, Choice):
            properties["enum"] = list(validator.choices)
        elif isinstance(validator, MaxLength):
            properties["maxLength"] = validator.limit
    if callable(field.load_default) and "default" not in field.metadata:
        properties["default"] = field.load_default()
    return properties


def _component(method: str, suffix: str) -> str:
    """``capture_recapture`` -> ``CaptureRecaptureParameters`` (with ``suffix``)."""
    return "".join(part.capitalize() for part in method.split("_")) + suffix


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def register_study_schemas(spec: APISpec, study_schema: type[Schema]) -> None:
    """Register ``Study`` and, per method, ``<Method>Parameters`` (the method module's own
    schema) and ``<Method>Study`` (a study whose ``method`` is that one)."""
    spec.components.schema("Study", schema=study_schema)
    for name, method in METHODS.items():
        parameters = _component(name, "Parameters")
        spec.components.schema(parameters, schema=method.parameters)
        spec.components.schema(_component(name, "Study"), {
            "allOf": [_ref("Study"), {
                "type": "object",
                "properties": {"method": {"const": name}, "parameters": _ref(parameters)},
                "required": ["method"],
            }],
            "description": f"A {name} study: its parameters as {parameters} documents them.",
        })  # fmt: skip


def study_request_body() -> dict[str, Any]:
    """The body of ``POST /api/jobs``: one of the methods' studies, chosen by ``method``."""
    mapping = {name: _ref(_component(name, "Study"))["$ref"] for name in METHODS}
    schema = {"oneOf": [{"$ref": ref} for ref in mapping.values()],
              "discriminator": {"propertyName": "method", "mapping": mapping}}  # fmt: skip
    return {"content": {"application/json": {"schema": schema}}}


class ProblemApi(Api):
    """flask-smorest's :class:`Api` with error responses documented as problem details,
    and the registry's validators documented as bounds and choices.

    The blueprints' views are documented when the document is first read (``spec``),
    not when the app is made: that took about 40 ms of every start of the app (and of
    each of the suite's thousands of apps), for a document most processes never serve.
    """

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._undocumented: list[tuple[Any, str, Any]] = []
        self._documenting = threading.RLock()
        super().__init__(*args, **kwargs)

    @property
    def spec(self) -> APISpec | None:
        """The OpenAPI document, with the views of every blueprint registered so far."""
        with self._documenting:
            while self._undocumented:
                blueprint, name, parameters = self._undocumented.pop(0)
                blueprint.register_views_in_doc(
                    self, self._app, self._spec, name=name, parameters=parameters
                )
                self._spec.tag({"name": name, "description": blueprint.description})
        return self._spec

    @spec.setter
    def spec(self, value: APISpec | None) -> None:
        self._spec = value

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """As flask-smorest's, with the views documented later (see the class)."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def _init_spec(self, **kwargs: Any) -> None:
        super()._init_spec(**kwargs)
        self.ma_plugin.converter.add_attribute_function(validator_properties)

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
