"""Slowing down password guessing: too many failed sign-ins with one name lock it a while.

Public interface::

    attempt_sign_in(username, password) -> SignInAttempt   # the one place passwords are tried
    unlock(username) -> bool                               # forget the name's failures
    SignInAttempt.user          # the signed-in user, or None
    SignInAttempt.retry_after   # seconds the name stays locked (None: not locked)

After ``LOGIN_MAX_FAILURES`` (default 10) failed sign-ins with one name within
``LOGIN_LOCK_MINUTES`` (default 15), that name is locked for ``LOGIN_LOCK_MINUTES``:
attempts are refused without checking the password, and do not extend the lock. Names
are counted whether or not an account has them, and an unknown name costs one argon2
verification like a known one, so a guesser cannot tell existing accounts from others by
the answers (status, page, headers) or their timing. Only password sign-ins count: API
token failures are throttled apart and never lock a password
(:mod:`registry.auth.rate_limits`). Counts live in the database (``sign_in_failures``,
keyed by an HMAC of the name under ``SECRET_KEY``, never the name itself), so they hold
across server processes and restarts; a successful sign-in clears the name's count.

The sign-in form uses :func:`attempt_sign_in`; any other way of signing in with a
password (such as HTTP Basic on the API) must use it too. The caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, literal, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from registry.extensions import db
from registry.models import SignInFailure, User
from registry.models.base import utcnow
from registry.services.audit import record_event
from registry.services.users import authenticate


@dataclass(frozen=True)
class SignInAttempt:
    """The outcome of one attempt: the user signed in, or how long the name is locked."""

    user: User | None = None
    retry_after: int | None = None


def attempt_sign_in(username: str, password: str) -> SignInAttempt:
    """Check ``password`` for ``username`` unless the name is locked; count failures."""
    name = (username or "").strip().lower()
    key = name_key(name)
    retry_after = seconds_locked(key)
    if retry_after is not None:
        user = db.session.scalar(select(User).where(User.username == name)) if name else None
        record_event(user, "login_failed", "user", user.id if user else None, detail="locked")
        return SignInAttempt(retry_after=retry_after)
    user = authenticate(name, password)
    if user is None:
        count_failure(key)
    else:
        db.session.execute(
            delete(SignInFailure)
            .where(SignInFailure.name_key == key)
            .execution_options(synchronize_session=False)
        )
    return SignInAttempt(user=user)


def unlock(username: str) -> bool:
    """Forget the failures (and lift the lock) of ``username``; ``True`` if it had any
    (then audited as an ``update`` of the user, if there is one)."""
    name = (username or "").strip().lower()
    result = db.session.execute(
        delete(SignInFailure)
        .where(SignInFailure.name_key == name_key(name))
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        return False
    user_id = db.session.scalar(select(User.id).where(User.username == name)) if name else None
    record_event(None, "update", "user", user_id, detail="sign-in failures cleared")
    return True


def name_key(name: str) -> str:
    """The stored form of a typed name: its HMAC-SHA-256 under ``SECRET_KEY``."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"sign-in name:" + name.encode(), hashlib.sha256).hexdigest()


def _lock() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def seconds_locked(key: str) -> int | None:
    """Whole seconds until the name of ``key`` may be tried again, or ``None``."""
    locked_at = db.session.scalar(
        select(SignInFailure.locked_at).where(SignInFailure.name_key == key)
    )
    if locked_at is None:
        return None
    remaining = (_aware(locked_at) + _lock() - utcnow()).total_seconds()
    return math.ceil(remaining) if remaining > 0 else None


def count_failure(key: str) -> None:
    """Add one failure to ``key`` (a fresh count once the last one is a window old), lock
    it at ``LOGIN_MAX_FAILURES``, and forget names whose count and lock are over.

    One statement per step, so concurrent failures in several processes all count.
    """
    table = SignInFailure.__table__
    now = utcnow()
    window_start = now - _lock()
    at = table.c.first_at.type
    stale = table.c.first_at < literal(window_start, at)
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(table).values(name_key=key, failures=1, first_at=now)
    db.session.execute(
        upsert.on_conflict_do_update(
            index_elements=[table.c.name_key],
            set_={
                "failures": case((stale, 1), else_=table.c.failures + 1),
                "first_at": case((stale, literal(now, at)), else_=table.c.first_at),
                "locked_at": case((stale, null()), else_=table.c.locked_at),
            },
        )
    )
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    db.session.execute(
        update(SignInFailure)
        .where(
            SignInFailure.name_key == key,
            SignInFailure.failures >= limit,
            SignInFailure.locked_at.is_(None),
        )
        .values(locked_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(SignInFailure)
        .where(
            SignInFailure.first_at < window_start,
            or_(SignInFailure.locked_at.is_(None), SignInFailure.locked_at < window_start),
        )
        .execution_options(synchronize_session=False)
    )
