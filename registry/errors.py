"""Error handlers: HTML pages for people, problem details (RFC 9457) for ``/api/``.

There is one error shape per audience. Under ``/api/`` every error is an
``application/problem+json`` document::

    {"type": "about:blank", "title": "Unprocessable Content", "status": 422,
     "detail": "...", "instance": "/api/...",
     "errors": [{"field": "admission_date", "pointer": "#/admission_date",
                 "detail": "Not a valid date."}]}

Elsewhere the error is a small page in the user's language. Neither ever echoes the
request: submitted values (which may be identifiers) appear in no error response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask.wrappers import Response
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from registry.extensions import db
from registry.schemas.base import error_paths
from registry.services.access import AccessDenied

PROBLEM_JSON = "application/problem+json"

#: What the HTML page says for each status (titles come from :data:`TITLES`).
MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    401: _l("Please sign in to continue."),
    403: _l("Your account does not have access to this page."),
    404: _l("There is no such page, or it is not available to your centre."),
    405: _l("This page cannot be used that way."),
    413: _l("The request is too large."),
    422: _l("Some values are not valid."),
    429: _l("Too many attempts. Wait a few minutes and try again."),
    500: _l("Something went wrong on the server. Nothing was saved. Please try again later."),
}

TITLES = {
    400: _l("Bad request"),
    401: _l("Sign-in required"),
    403: _l("Access denied"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    413: _l("Request too large"),
    422: _l("Invalid data"),
    429: _l("Too many requests"),
    500: _l("Server error"),
}

CSRF_MESSAGE = _l(
    "This form has expired or was not sent from this site. Nothing was saved. "
    "Reload the page and submit the form again."
)


class UnreadableBody(BadRequest):
    """A request body that cannot be read (see :mod:`registry.json_body`): 400 with
    ``detail``, a translated message that repeats nothing of the body."""

    def __init__(self, detail: Any) -> None:
        super().__init__()
        self.detail = detail


def init_error_handlers(app: Flask) -> None:
    """Register the error handlers on ``app``."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(InternalServerError, handle_server_error)
    app.register_error_handler(AccessDenied, handle_access_denied)


def wants_problem_json() -> bool:
    """True for API requests, which get problem details instead of a page."""
    return request.path.startswith("/api/")


def field_errors(messages: Any) -> list[dict[str, str]]:
    """marshmallow's nested error mapping as ``[{field, pointer, detail}]`` (the paths of
    :func:`registry.schemas.base.error_paths`, the one flattener)."""
    return [
        {"field": path, "pointer": f"#/{path}", "detail": str(message)}
        for path, texts in error_paths(messages).items()
        for message in texts
    ]


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An ``application/problem+json`` response (RFC 9457)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "instance": request.path,
    }
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_page(status: int, message: Any = None) -> tuple[str, int]:
    """The HTML error page for ``status``."""
    title = TITLES.get(status, HTTP_STATUS_CODES.get(status, "Error"))
    text = message or MESSAGES.get(status, MESSAGES[400 if status < 500 else 500])
    return render_template("error.html", status=status, title=title, message=text), status


def handle_http_exception(error: HTTPException) -> Response | tuple[str, int]:
    """Any ``abort(...)``: the page or problem for its status (never the default text)."""
    status = error.code or 500
    detail = getattr(error, "detail", None) or MESSAGES.get(status, "")
    if wants_problem_json():
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return problem(status, str(detail) or None, headers=headers)
    page, status = error_page(status, getattr(error, "detail", None))
    response = Response(page, status=status, mimetype="text/html")
    if status == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def handle_csrf_error(error: CSRFError) -> Response | tuple[str, int]:
    """A missing or wrong CSRF token: say so plainly; nothing was saved."""
    db.session.rollback()
    if wants_problem_json():
        return problem(400, str(CSRF_MESSAGE))
    return error_page(400, CSRF_MESSAGE)


def handle_validation_error(error: ValidationError) -> Response | tuple[str, int]:
    """A schema error that no view turned into a form: 422 with the fields."""
    db.session.rollback()
    errors = field_errors(error.normalized_messages())
    if wants_problem_json():
        return problem(422, str(MESSAGES[422]), errors=errors)
    return error_page(422)


def handle_access_denied(error: Exception) -> Response | tuple[str, int]:
    """A service refused the user (another centre's record, wrong role): 403."""
    db.session.rollback()
    if wants_problem_json():
        return problem(403, str(MESSAGES[403]))
    return error_page(403)


def handle_server_error(error: InternalServerError) -> Response | tuple[str, int]:
    """An unexpected error (already logged by Flask): roll back, show a plain page."""
    db.session.rollback()
    if wants_problem_json():
        return problem(500, str(MESSAGES[500]))
    return error_page(500)
