"""Login, logout, the language switch and the role checks every route goes through.

Before every request (ahead of the CSRF check, so even its error page knows the user):
``g.user`` is loaded from the session (:mod:`registry.auth.session`), or on ``/api/``
from a bearer token (:mod:`registry.auth.tokens`); then the endpoint's declared access is
enforced (:mod:`registry.auth.roles`). After every request the security headers are
added (:mod:`registry.auth.headers`), and token requests are kept free of sessions.
"""

from flask import Blueprint
from flask.sansio.blueprints import BlueprintSetupState

from registry.auth.headers import set_security_headers
from registry.auth.roles import authorize, public, roles, signed_in
from registry.auth.tokens import (
    audit_denied_token_request,
    check_api_csrf,
    keep_token_requests_sessionless,
    load_request_user,
)

blueprint = Blueprint("auth", __name__)

__all__ = ["blueprint", "public", "roles", "signed_in"]


@blueprint.record_once
def _load_user_first(state: BlueprintSetupState) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, load_request_user)


blueprint.before_app_request(authorize)
blueprint.before_app_request(check_api_csrf)
blueprint.after_app_request(set_security_headers)
blueprint.after_app_request(keep_token_requests_sessionless)
blueprint.after_app_request(audit_denied_token_request)

from registry.auth import views  # noqa: E402, F401  (registers the routes)
