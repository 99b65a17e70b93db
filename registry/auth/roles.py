"""Who may use each route: every view declares it, and undeclared views are refused.

A view is declared with one of three decorators::

    @public                      # anyone, signed in or not (login page, static files)
    @signed_in                   # any signed-in user, whatever the role (logout, language)
    @roles(CLINIC_STAFF)         # only these roles

:func:`authorize` runs before every request (see :mod:`registry.auth`). A view with no
declaration is refused for everybody (deny by default) and
``tests/registry/web/test_route_matrix.py`` fails until it is declared, so a forgotten
decorator can never open a route.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, url_for

from registry.models.users import ROLE_NAMES

View = TypeVar("View", bound=Callable[..., Any])

#: Endpoints Flask itself adds, which cannot carry an attribute: static files are public.
PUBLIC_ENDPOINTS = frozenset({"static"})

ATTRIBUTE = "_registry_access"


@dataclass(frozen=True)
class Access:
    """A route's declaration: open to anonymous users, to any user, or to some roles."""

    anonymous: bool = False
    any_role: bool = False
    role_names: frozenset[str] = frozenset()

    def allows(self, role: str | None) -> bool:
        """True if a user with ``role`` (``None`` = not signed in) may use the route."""
        if self.anonymous:
            return True
        if role is None:
            return False
        return self.any_role or role in self.role_names


def _declare(view: View, access: Access) -> View:
    if hasattr(view, ATTRIBUTE):
        raise TypeError(f"{view.__name__} declares its access twice")
    setattr(view, ATTRIBUTE, access)
    return view


def public(view: View) -> View:
    """Declare ``view`` open to everyone, including anonymous visitors."""
    return _declare(view, Access(anonymous=True))


def signed_in(view: View) -> View:
    """Declare ``view`` open to every signed-in user, whatever the role."""
    return _declare(view, Access(any_role=True))


def roles(*names: str) -> Callable[[View], View]:
    """Declare ``view`` open only to users with one of the role ``names``."""
    unknown = set(names) - set(ROLE_NAMES)
    if not names or unknown:
        raise ValueError(f"roles() needs known role names, got {names!r}")

    def decorate(view: View) -> View:
        return _declare(view, Access(role_names=frozenset(names)))

    return decorate


def access_of(app: Flask, endpoint: str) -> Access | None:
    """The declaration of ``endpoint`` on ``app``, or ``None`` if it has none."""
    if endpoint in PUBLIC_ENDPOINTS:
        return Access(anonymous=True)
    view = app.view_functions.get(endpoint)
    # MethodView.as_view() wraps the class; a declaration may sit on either.
    declared = getattr(view, ATTRIBUTE, None)
    if declared is None:
        declared = getattr(getattr(view, "view_class", None), ATTRIBUTE, None)
    return declared


def authorize() -> Any:
    """Refuse the request unless the current user may use its endpoint.

    Anonymous visitors are sent to the login page (HTML) or get 401 (API); signed-in
    users without the role get 403. Unknown URLs fall through to the 404 handler.
    """
    if request.endpoint is None:
        return None
    access = access_of(current_app, request.endpoint)
    user = getattr(g, "user", None)
    role = user.role if user is not None else None
    if access is not None and access.allows(role):
        return None
    if user is None:
        if request.path.startswith("/api/"):
            abort(401)
        target = request.full_path.rstrip("?") if request.method in ("GET", "HEAD") else None
        return redirect(url_for("auth.login", next=target))
    abort(403)
