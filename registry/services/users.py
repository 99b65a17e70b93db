"""User accounts: creation with a password policy, authentication, preferences.

Public interface::

    MIN_PASSWORD_LENGTH = 8
    create_user(username: str, password: str, role: str,
                centre: TreatmentCentre | None = None, *, enforce_policy: bool = True) -> User
    set_password(user: User, password: str) -> None            # same policy; audited
    set_role(user: User, role: str, centre: TreatmentCentre | None = None) -> None  # audited
    deactivate_user(user: User) -> None                         # can no longer log in; audited
    end_sessions(user: User) -> None                            # every browser signed out
    authenticate(username: str, password: str) -> User | None   # audits login / login_failed
    record_logout(user: User) -> AuditEvent                     # and ends every session
    set_locale(user: User, locale: str) -> None                 # one of config LANGUAGES
    hash_password(password: str) -> str
    verify_password(user: User, password: str) -> bool

Passwords are hashed with argon2id with the parameters of the ``PASSWORD_HASH_PROFILE``
setting (argon2-cffi's default RFC 9106 low-memory profile; the tests use the cheapest).
``enforce_policy=False`` is only for the demo loader's short password, which it refuses
to use in production.
Failed logins are audited without the typed username unless the account exists (a
password typed into the username field must not end up in the log). A logout, a new
password, a new role and deactivation end every session of the user, on every computer
(:func:`end_sessions`; :mod:`registry.auth.session` checks it on every request).
"""

from __future__ import annotations

import contextlib
import re
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db
from registry.models import AuditEvent, TreatmentCentre, User
from registry.models.users import CLINIC_STAFF, ROLE_NAMES
from registry.services.audit import record_event
from registry.services.errors import ServiceError

MIN_PASSWORD_LENGTH = 8
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@cache
def _hasher_for(profile: str) -> tuple[PasswordHasher, str]:
    """The hasher of an argon2 profile, and a hash verified when the username is unknown
    (so both paths cost one argon2 verification)."""
    hasher = PasswordHasher.from_parameters(getattr(profiles, profile))
    return hasher, hasher.hash("not-a-real-password-just-timing")


def _hasher() -> PasswordHasher:
    return _hasher_for(current_app.config["PASSWORD_HASH_PROFILE"])[0]


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``."""
    return _hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    """True if ``password`` matches; rehashes (in the session) on outdated parameters."""
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def create_user(
    username: str,
    password: str,
    role: str,
    centre: TreatmentCentre | None = None,
    *,
    enforce_policy: bool = True,
) -> User:
    """Add a user to the session and return it (flushed, so it has an id).

    Raises :class:`ServiceError` with ``field`` ``username``, ``password``, ``role`` or
    ``centre`` when a rule is broken: username 2-64 of ``a-z 0-9 . _ -``, unique;
    password at least :data:`MIN_PASSWORD_LENGTH` characters; a known role; clinic
    staff need a centre and the other roles must not have one.
    """
    username = (username or "").strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise ServiceError(
            _l("Use 2-64 characters: lower-case letters, digits, dot, dash, underscore."),
            "username",
        )
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ServiceError(_l("This username is already taken."), "username")
    if enforce_policy and len(password or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError(_l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), "password")
    if not password:
        raise ServiceError(_l("This field is required."), "password")
    _check_role(role, centre)
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        centre_id=centre.id if centre is not None else None,
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    return user


def _check_role(role: str, centre: TreatmentCentre | None) -> None:
    if role not in ROLE_NAMES:
        raise ServiceError(_l("Choose a value from the list."), "role")
    if (role == CLINIC_STAFF) != (centre is not None):
        message = (
            _l("Clinic staff need a centre.")
            if role == CLINIC_STAFF
            else _l("Only clinic staff belong to a centre.")
        )
        raise ServiceError(message, "centre")


def _check_password(password: str, enforce_policy: bool) -> None:
    if enforce_policy and len(password or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError(_l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), "password")
    if not password:
        raise ServiceError(_l("This field is required."), "password")


def set_password(user: User, password: str) -> None:
    """Replace ``user``'s password (policy as for new users) and audit an ``update``."""
    _check_password(password, enforce_policy=True)
    user.password_hash = hash_password(password)
    end_sessions(user)
    record_event(None, "update", "user", user.id, detail="password set")


def set_role(user: User, role: str, centre: TreatmentCentre | None = None) -> None:
    """Give ``user`` ``role`` (and ``centre``: clinic staff only, as for new users); audited.

    The user's sessions end, so the new role applies from the next sign-in on; API tokens
    act with the user's role, so they follow at once.
    """
    _check_role(role, centre)
    user.role = role
    user.centre = centre
    end_sessions(user)
    detail = f"role={role}" + (f" centre={centre.id}" if centre is not None else "")
    record_event(None, "update", "user", user.id, detail=detail)


def deactivate_user(user: User) -> None:
    """Stop ``user`` from logging in (rows they wrote keep pointing at them); audited."""
    user.active = False
    end_sessions(user)
    record_event(None, "update", "user", user.id, detail="deactivated")


def end_sessions(user: User) -> None:
    """End every session of ``user``, in every browser (the caller commits)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, or ``None``; audit either way."""
    name = (username or "").strip().lower()
    user = db.session.scalar(select(User).where(User.username == name)) if name else None
    if user is None:
        _hasher_verify_dummy(password)
        record_event(None, "login_failed", "user", None, detail="unknown username")
        return None
    if not verify_password(user, password or "") or not user.active:
        record_event(user, "login_failed", "user", user.id)
        return None
    record_event(user, "login", "user", user.id)
    return user


def _hasher_verify_dummy(password: str) -> None:
    """Spend one argon2 verification so unknown usernames take as long as known ones."""
    hasher, dummy = _hasher_for(current_app.config["PASSWORD_HASH_PROFILE"])
    with contextlib.suppress(VerificationError, InvalidHashError):
        hasher.verify(dummy, password or "")


def record_logout(user: User) -> AuditEvent:
    """Audit a logout and end every session of ``user`` (the view clears the cookie and
    commits): signing out on one computer signs out a copied cookie too."""
    end_sessions(user)
    return record_event(user, "logout", "user", user.id)


def set_locale(user: User, locale: str) -> None:
    """Remember ``user``'s interface language; raise :class:`ServiceError` if unknown."""
    if locale not in current_app.config["LANGUAGES"]:
        raise ServiceError(_l("Choose a value from the list."), "locale")
    user.locale = locale
