"""Routes of the auth blueprint: sign in, sign out, choose the language."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from registry.auth import blueprint
from registry.auth.roles import public, signed_in
from registry.auth.session import login_user, logout_user
from registry.auth.throttle import attempt_sign_in
from registry.errors import MESSAGES
from registry.extensions import db
from registry.schemas import LoginSchema
from registry.services.users import record_logout, set_locale
from registry.web.forms import FormState, flatten_errors


def safe_next(target: str | None, default: str = "web.index") -> str:
    """``target`` if it is a path on this site, else the URL of ``default``."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for(default)


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    """Show the sign-in form; on success start a session and go on to ``next``."""
    if g.user is not None and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    form = FormState(hidden=frozenset({"password"}))
    error = None
    if request.method == "POST":
        form.values = {"username": request.form.get("username", "").strip()}
        try:
            data = LoginSchema().load(request.form)
        except ValidationError as invalid:
            form.errors = flatten_errors(invalid.messages)
        else:
            attempt = attempt_sign_in(data["username"], data["password"])
            db.session.commit()  # the audit event and count of the attempt (and a rehash)
            if attempt.retry_after is not None:
                page = render_template(
                    "auth/login.html", form=form, error=str(MESSAGES[429]), next=""
                )
                return page, 429, {"Retry-After": str(attempt.retry_after)}
            if attempt.user is not None:
                login_user(attempt.user)
                return redirect(safe_next(request.form.get("next")))
            error = _("Wrong username or password.")
    page = render_template(
        "auth/login.html", form=form, error=error, next=request.values.get("next", "")
    )
    return page, 200 if error is None and not form.errors else 422


@blueprint.route("/logout", methods=["POST"])
@signed_in
def logout() -> Response:
    """End the session (a POST with the CSRF token, so no other site can sign you out)."""
    record_logout(g.user)
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@blueprint.route("/language", methods=["POST"])
@public
def language() -> Response:
    """Switch the interface language; remembered on the account of a signed-in user."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if g.user is not None:
            set_locale(g.user, locale)
            db.session.commit()
    return redirect(safe_next(request.form.get("next")))
