"""Slowing down password guessing: too many failed sign-ins lock an account for a while.

After ``LOGIN_MAX_FAILURES`` (default 10) failed sign-ins within ``LOGIN_LOCK_MINUTES``
(default 15) since the account's last successful sign-in, further attempts are refused
without checking the password until the window has passed. The count comes from the
audit trail (``login_failed`` events), so it holds across server processes and restarts.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import AuditEvent, User
from registry.models.base import utcnow


def locked_out(username: str) -> User | None:
    """The account ``username`` names if it is locked by recent failures, else ``None``."""
    name = (username or "").strip().lower()
    user = db.session.scalar(select(User).where(User.username == name)) if name else None
    if user is None:
        return None
    minutes = current_app.config["LOGIN_LOCK_MINUTES"]
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    since = utcnow() - timedelta(minutes=minutes)
    last_login = db.session.scalar(
        select(func.max(AuditEvent.at)).where(
            AuditEvent.user_id == user.id, AuditEvent.action == "login"
        )
    )
    failures = select(func.count()).where(
        AuditEvent.user_id == user.id,
        AuditEvent.action == "login_failed",
        AuditEvent.at >= since,
    )
    if last_login is not None:
        failures = failures.where(AuditEvent.at > last_login)
    return user if db.session.scalar(failures) >= limit else None
