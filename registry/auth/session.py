"""The signed-in user: loading ``g.user`` from the session, signing in and out.

The session cookie holds only the user id, the user's session epoch at sign-in, the time
of the last request and the CSRF token. Sessions end when the browser closes and after
``SESSION_IDLE_MINUTES`` (default 30) without a request (the time of the last request is
kept to the minute), because clinic computers are often shared. They also end on the
server, for every browser at once, when the user's ``session_epoch`` moves on
(:func:`registry.services.users.end_sessions`: logout, password change, role change,
deactivation): every request compares the cookie's epoch with the database's, so a
copied cookie stops working in every server process.
"""

from __future__ import annotations

import time

from flask import current_app, g, session

from registry.extensions import db
from registry.models.users import User

#: The time of the last request is written to the cookie at most this often: a changed
#: session is signed and sent again (a ``Set-Cookie`` on every answer), an unchanged one
#: is not. The idle limit counts from the time written, so a session may end up to this
#: much before ``SESSION_IDLE_MINUTES`` of idleness, never after.
SEEN_PRECISION_SECONDS = 60


def load_user() -> None:
    """Set ``g.user`` to the signed-in, active user, or ``None``; end idle sessions."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    idle_limit = 60 * current_app.config["SESSION_IDLE_MINUTES"]
    now = int(time.time())
    if now - int(session.get("seen", 0)) > idle_limit:
        session.clear()
        return
    user = db.session.get(User, user_id)
    if user is None or not user.active or session.get("epoch") != user.session_epoch:
        session.clear()
        return
    if now - int(session.get("seen", 0)) >= SEEN_PRECISION_SECONDS:
        session["seen"] = now
    g.user = user


def login_user(user: User) -> None:
    """Start a fresh session for ``user`` (nothing from the anonymous session survives)."""
    locale = session.get("locale")
    session.clear()
    session["user_id"] = user.id
    session["epoch"] = user.session_epoch
    session["seen"] = int(time.time())
    if locale and not user.locale:
        session["locale"] = locale
    g.user = user


def logout_user() -> None:
    """Clear this browser's session, keeping nothing but the chosen language.

    The caller ends the user's other sessions (``record_logout`` moves the epoch on).
    """
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    g.user = None
