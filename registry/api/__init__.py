"""The JSON API (flask-smorest): estimation jobs, results, uploads, linkage, duplicates.

The OpenAPI document is served at ``/api/openapi.json`` and is generated from the
schemas of :mod:`registry.schemas.studies`, so it cannot drift from the code.
An interactive viewer of the document (Swagger UI, served from ``registry/static``, no
internet needed) is at ``/api/docs``. Authentication is either an API token
(``Authorization: Bearer <token>``, see :mod:`registry.auth.tokens`; no session, no CSRF
token) or the signed-in session, whose POSTs carry the CSRF token in the ``X-CSRFToken``
header (``GET /api/csrf-token`` gives it). DHIS2 clients may spell the token header
``Authorization: ApiToken <token>``, and on the DHIS2-compatible endpoints
(:mod:`registry.api.dhis2`) sign in with a password (HTTP Basic, :mod:`registry.auth.basic`).
Requests are rate-limited per token or user
(:mod:`registry.auth.rate_limits`). Estimation is for epidemiologists and admins only,
every use is audited, and responses hold
codes and counts, never identifiers. Errors are ``application/problem+json``
(:mod:`registry.errors`): a validation error lists each field with its message.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Flask, Request
from flask.wrappers import Response
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import ValidationError, missing
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from registry import json_body
from registry.api.documentation import ProblemApi, api_docs, register_study_schemas
from registry.auth.rate_limits import init_rate_limits
from registry.auth.roles import public
from registry.auth.tokens import exempt_api_blueprints_from_csrf
from registry.errors import UnreadableBody, problem
from registry.extensions import db
from registry.routing import MAX_ID
from registry.schemas.base import nul_errors
from registry.schemas.studies import StudySchema
from registry.services.errors import NotFound, ServiceError

API_SETTINGS = {
    "API_TITLE": "narcoregistry estimation API",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": (
                    "An API token: `flask --app wsgi tokens create USERNAME` prints one."
                )},
                "session": {"type": "apiKey", "in": "cookie", "name": "session", "description": (
                    "The signed-in browser session; POSTs also need the X-CSRFToken header."
                )},
                "dhis2ApiToken": {"type": "apiKey", "in": "header", "name": "Authorization",
                                  "description": (
                    "An API token as DHIS2 clients send it: `Authorization: ApiToken <token>`."
                )},
                "basicAuth": {"type": "http", "scheme": "basic", "description": (
                    "A user's name and password (DHIS2 clients), on /api/analytics and "
                    "/api/me only; wrong passwords lock the name as on the sign-in form."
                )},
            }
        },
        "security": [{"bearerAuth": []}, {"session": []}],
    },
}  # fmt: skip


class ProblemParser(FlaskParser):
    """Argument errors become a :class:`ValidationError` (problem+json with the fields).

    Whole numbers beyond the range of the database's id columns, and text holding a NUL
    character, are refused here (422 naming the field) for every API argument, so no
    query ever reaches the database driver with one (which would fail with a server
    error). JSON bodies are read by :func:`registry.json_body.loads`: a body it refuses
    is a 400.
    """

    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req: Request, schema: Any) -> Any:
        """Form fields and files of a multipart body as one mapping (one request body in
        the OpenAPI document, as OpenAPI 3 has no form parameters)."""
        return MultiDictProxy(CombinedMultiDict([req.form, req.files]), schema)

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        parsed = super().parse(*args, **kwargs)
        if isinstance(parsed, dict) and (nul := nul_errors(parsed)):
            raise ValidationError(nul)
        if isinstance(parsed, dict):
            too_large = {
                name: [_l("Enter a number from %(low)s to %(high)s.", low=-MAX_ID, high=MAX_ID)]
                for name, value in parsed.items()
                if any(abs(number) > MAX_ID for number in _integers(value))
            }
            if too_large:
                raise ValidationError(too_large)
        return parsed

    def _raw_load_json(self, req: Request) -> Any:
        """The JSON body read by :func:`registry.json_body.loads` (``missing`` if not JSON)."""
        if not is_json_request(req):
            return missing
        return json_body.loads(req.get_data(cache=True))

    def _handle_invalid_json_error(self, error: Exception, *_args: Any, **_kwargs: Any) -> NoReturn:
        raise UnreadableBody(json_body.INVALID_JSON) from error

    def handle_error(self, error: ValidationError, *_args: Any, **_kwargs: Any) -> NoReturn:
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:
            (location,) = messages
            if location in ("json", "query", "form", "files", "multipart", "view_args"):
                messages = messages[location]
        raise ValidationError(messages)


def _integers(value: Any) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
    return []


class ApiBlueprint(SmorestBlueprint):
    """A flask-smorest blueprint whose argument errors use the registry's problem shape
    (and whose ``multipart`` location documents form fields and files as one body)."""

    ARGUMENTS_PARSER = ProblemParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **SmorestBlueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }

    def register_views_in_doc(self, *args: Any, **kwargs: Any) -> None:
        """Document the views, with the docstrings' reST literals (double backticks) as
        Markdown code, which OpenAPI viewers show."""
        for methods in self._docs.values():
            for doc in methods.values():
                info = (doc or {}).get("docstring") or {}
                for key in ("summary", "description"):
                    if isinstance(info.get(key), str):
                        info[key] = info[key].replace("``", "`")
        super().register_views_in_doc(*args, **kwargs)


blueprint = ApiBlueprint(
    "estimation_api",
    __name__,
    url_prefix="/api",
    description="Estimation studies on registry data: jobs, results, uploads, linkage.",
)


def init_api(app: Flask) -> None:
    """Create the app's :class:`Api`, mount the blueprint, declare the document public."""
    from registry.api import jobs, linkage, uploads  # noqa: F401  (registers the routes)
    from registry.api.analytics import blueprint as analytics_blueprint
    from registry.api.dhis2 import blueprint as dhis2_blueprint

    for name, value in API_SETTINGS.items():
        app.config.setdefault(name, value)
    api = ProblemApi(app)
    register_study_schemas(api.spec, StudySchema)
    api.register_blueprint(blueprint)
    api.register_blueprint(analytics_blueprint)
    api.register_blueprint(dhis2_blueprint)
    document = app.view_functions["api-docs.openapi_json"]

    @public
    def openapi_json() -> Any:
        """The OpenAPI document (describes the API; holds no data)."""
        return document()

    app.view_functions["api-docs.openapi_json"] = openapi_json
    app.add_url_rule("/api/docs", "api_docs", api_docs)
    app.extensions["registry_api"] = api
    exempt_api_blueprints_from_csrf(app)
    init_rate_limits(app)


@blueprint.errorhandler(ServiceError)
def service_error(error: ServiceError) -> Response:
    """A rule the services enforce: 422 problem details naming the field."""
    db.session.rollback()
    if isinstance(error, NotFound):
        return problem(404, str(error.message))
    field = error.field or "_schema"
    detail = str(error.message)
    return problem(
        422, detail, errors=[{"field": field, "pointer": f"#/{field}", "detail": detail}]
    )
