"""HTTP Basic sign-in on the DHIS2-compatible endpoints, as DHIS2 clients send it.

Public interface::

    BASIC_AUTH_BLUEPRINTS                 # the blueprints that accept Basic (DHIS2's face)
    basic_credentials() -> tuple[str, str] | None   # (username, password) of the header
    sign_in_with_password(username, password) -> None   # sets g.user, or 401 / 429

DHIS2 clients (``dhis2-client``, ``dhis2-fetch``, DHIS2's own tools) send the username and
password of a DHIS2 account with every request. The registry accepts that on the
DHIS2-compatible endpoints only (``/api/analytics``, ``/api/me``); everywhere else the
header is ignored and the request is anonymous, as it always was. Each password goes
through :func:`registry.auth.throttle.attempt_sign_in`, the function the sign-in form uses:
failures count against the name exactly as on the form (so ten wrong passwords lock the
name on the form and here alike), a locked name gets 429 with ``Retry-After`` without its
password being checked, and every attempt is audited. No session is started: the answer
carries no cookie, and no CSRF token is needed (a browser never sends the header on its
own for another site). Deactivated users are refused like wrong passwords.
"""

from __future__ import annotations

import base64
import binascii

from flask import abort, g, request

from registry.auth.throttle import attempt_sign_in
from registry.errors import MESSAGES, problem
from registry.extensions import db

BASIC_AUTH_BLUEPRINTS = frozenset({"dhis2_api"})


def basic_credentials() -> tuple[str, str] | None:
    """``(username, password)`` of an ``Authorization: Basic`` header on a DHIS2 endpoint."""
    if request.blueprint not in BASIC_AUTH_BLUEPRINTS:
        return None
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")  # unreadable: refused like a wrong password
    username, _, password = decoded.partition(":")
    return username, password


def sign_in_with_password(username: str, password: str) -> None:
    """Sign this request in as ``username`` (no session), or answer 401 / 429."""
    g.user = None
    attempt = attempt_sign_in(username, password)
    db.session.commit()  # the audit event and the failure count of the attempt
    if attempt.retry_after is not None:
        seconds = str(attempt.retry_after)
        abort(problem(429, str(MESSAGES[429]), headers={"Retry-After": seconds}))
    if attempt.user is None:
        abort(401)
    g.user = attempt.user
    g.password_request = True
