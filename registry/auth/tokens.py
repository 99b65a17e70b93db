"""API tokens: create, list, revoke, and sign in ``/api/`` requests that carry one.

Public interface::

    create_token(user, name, expires_days=None) -> tuple[ApiToken, str]   # the secret once
    revoke_token(token) -> None
    list_tokens(user=None) -> list[ApiToken]
    token_for(secret) -> ApiToken | None      # a usable token (not revoked/expired, user active)
    load_request_user() -> None               # before every request (see registry.auth)
    check_api_csrf() -> None                  # CSRF for API requests signed in by session

A request to ``/api/`` with ``Authorization: Bearer <token>`` (or DHIS2's spelling,
``Authorization: ApiToken <token>``) acts as the token's user,
with that user's role, and nothing else: the session cookie is neither read nor
written, and no CSRF token is needed (a browser never sends the header by itself).
Elsewhere the header is ignored, so a token never opens an HTML page. A bad, revoked or
expired token, or one of a deactivated user, gets 401 and an audited ``login_failed``
(throttled per token and per address: :mod:`registry.auth.rate_limits`; never counted
against the user's password sign-in);
creating and revoking are audited too, and a token request refused by role (403) is
audited by :func:`audit_denied_token_request`. The secret is printed once and only its
SHA-256 digest is stored. The time of a token's last use is kept to the hour, so that
``flask tokens list`` shows tokens nobody uses any more.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from flask import abort, current_app, g, request, session
from flask.wrappers import Response
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from registry.auth.basic import basic_credentials, sign_in_with_password
from registry.auth.rate_limits import bad_token_wait, count_bad_token, too_many_bad_tokens
from registry.auth.session import load_user
from registry.extensions import csrf, db
from registry.models import ApiToken, User
from registry.models.base import utcnow
from registry.services.audit import record_event
from registry.services.errors import ServiceError

#: Tokens start with this, so they are recognisable in configuration files and logs.
PREFIX = "nrt_"
MAX_NAME_LENGTH = 64
#: ``last_used_at`` is written at most this often (one small write, not one per request).
LAST_USED_PRECISION = timedelta(hours=1)
#: Flask-WTF's blueprint exemptions; :func:`check_api_csrf` checks these itself.
CSRF_EXEMPT_KEY = "registry_api_csrf_blueprints"


def digest(secret: str) -> str:
    """The stored form of a token: the hex SHA-256 of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    user: User, name: str = "", expires_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user`` (audited ``create``); returns it and its secret.

    The secret is not stored anywhere: the caller shows it once.
    """
    name = (name or "").strip() or "api"
    if len(name) > MAX_NAME_LENGTH:
        raise ServiceError(f"at most {MAX_NAME_LENGTH} characters", field="name")
    if expires_days is not None and expires_days < 1:
        raise ServiceError("must be at least one day", field="expires")
    if not user.active:
        raise ServiceError("the user is deactivated", field="user")
    secret = PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=expires_days) if expires_days else None
    token = ApiToken(user=user, name=name, token_digest=digest(secret), expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    record_event(None, "create", "api_token", token.id, detail=f"user={user.id}")
    return token, secret


def revoke_token(token: ApiToken) -> None:
    """Stop ``token`` from working (audited ``update``); revoking twice changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(None, "update", "api_token", token.id, detail="revoked")


def list_tokens(user: User | None = None) -> list[ApiToken]:
    """Every token (or ``user``'s), oldest first."""
    query = select(ApiToken).order_by(ApiToken.id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(db.session.scalars(query))


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def token_state(token: ApiToken) -> str:
    """``active``, ``revoked``, ``expired`` or ``user inactive``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and _aware(token.expires_at) <= utcnow():
        return "expired"
    if not token.user.active:
        return "user inactive"
    return "active"


def token_for(secret: str) -> ApiToken | None:
    """The usable token whose secret is ``secret``, or ``None`` (failures audited)."""
    wanted = digest(secret)
    token = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_digest == wanted)
        .options(joinedload(ApiToken.user))  # its user is read next, for every request
    )
    if token is None or not hmac.compare_digest(token.token_digest, wanted):
        record_event(None, "login_failed", "api_token", None, detail="unknown token")
        return None
    state = token_state(token)
    if state != "active":
        record_event(token.user, "login_failed", "api_token", token.id, detail=state)
        return None
    return token


#: The ``Authorization`` schemes that carry an API token (``ApiToken`` is DHIS2's).
TOKEN_SCHEMES = ("bearer", "apitoken")


def bearer_secret() -> str | None:
    """The token of an ``Authorization: Bearer`` (or ``ApiToken``) header on an API
    request, else ``None``."""
    if not request.path.startswith("/api/"):
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() not in TOKEN_SCHEMES:
        return None
    return secret.strip()


def load_request_user() -> None:
    """Set ``g.user`` from a token on ``/api/``, from a password on the DHIS2 endpoints
    (:mod:`registry.auth.basic`), otherwise from the session."""
    g.api_token = None
    g.password_request = False
    secret = bearer_secret()
    if secret is None:
        credentials = basic_credentials()
        if credentials is not None:
            sign_in_with_password(*credentials)
            return
        load_user()
        return
    g.user = None
    token_key, address_key = f"token:{digest(secret)}", f"address:{request.remote_addr}"
    wait = bad_token_wait(token_key)  # a token refused too often: not even looked up
    if wait is not None:
        abort(too_many_bad_tokens(wait))
    token = token_for(secret) if secret else None
    if token is None:
        wait = bad_token_wait(address_key)
        if wait is not None:
            db.session.rollback()  # a throttled request writes no audit row
            abort(too_many_bad_tokens(wait))
        count_bad_token(token_key, address_key)
        db.session.commit()  # the audit row of the failure
        abort(401)
    g.user = token.user
    g.api_token = token
    now = utcnow()
    if token.last_used_at is None or _aware(token.last_used_at) <= now - LAST_USED_PRECISION:
        token.last_used_at = now
        db.session.commit()


def exempt_api_blueprints_from_csrf(app) -> None:  # noqa: ANN001  (a Flask app)
    """Let :func:`check_api_csrf` check the ``/api`` blueprints instead of Flask-WTF."""
    names = app.extensions.setdefault(CSRF_EXEMPT_KEY, set())
    for name, blueprint in app.blueprints.items():
        if (blueprint.url_prefix or "").startswith("/api"):
            csrf.exempt(blueprint)
            names.add(name)


def check_api_csrf() -> None:
    """Flask-WTF's check for API requests signed in by session (token requests skip it)."""
    config = current_app.config
    if request.blueprint not in current_app.extensions.get(CSRF_EXEMPT_KEY, ()):
        return
    if getattr(g, "api_token", None) is not None or getattr(g, "password_request", False):
        return
    if not (config["WTF_CSRF_ENABLED"] and config["WTF_CSRF_CHECK_DEFAULT"]):
        return
    if request.method in config["WTF_CSRF_METHODS"]:
        csrf.protect()


def keep_token_requests_sessionless(response: Response) -> Response:
    """A token (or Basic) request never sets a session cookie, whatever a view put in the
    session."""
    if getattr(g, "api_token", None) is not None or getattr(g, "password_request", False):
        session.modified = False
    return response


def audit_denied_token_request(response: Response) -> Response:
    """Audit a token request refused for its role (403), in a transaction of its own."""
    token = getattr(g, "api_token", None)
    if token is not None and response.status_code == 403:
        db.session.rollback()
        detail = f"forbidden {request.endpoint}"
        record_event(token.user, "login_failed", "api_token", token.id, detail=detail)
        db.session.commit()
    return response
