"""Locale selection: the user's remembered choice, else the session's, else the browser's.

A request with an API token (``Authorization: Bearer`` on ``/api/``) is a machine's: its
``Accept-Language`` decides, else English, whatever the token user chose for the browser.
Outside a request (CLI commands, jobs) the default locale applies.
"""

from __future__ import annotations

from flask import current_app, g, has_request_context, request, session

from registry.auth.tokens import bearer_secret

#: The language of problem details for token requests that send no ``Accept-Language``.
MACHINE_LOCALE = "en"


def select_locale() -> str:
    """Return the locale code (``en`` or ``ru``) for the current request."""
    languages = current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    if bearer_secret() is not None:
        return request.accept_languages.best_match(languages) or MACHINE_LOCALE
    user = getattr(g, "user", None)
    if user is not None and user.locale in languages:
        return user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or default
