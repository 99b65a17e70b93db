"""Login, logout, the language switch and the role checks every route goes through.

Before every request (ahead of the CSRF check, so even its error page knows the user):
``g.user`` is loaded from the session (:mod:`registry.auth.session`); then the
endpoint's declared access is enforced (:mod:`registry.auth.roles`). After every request
the security headers are added (:mod:`registry.auth.headers`).
"""

from flask import Blueprint
from flask.sansio.blueprints import BlueprintSetupState

from registry.auth.headers import set_security_headers
from registry.auth.roles import authorize, public, roles, signed_in
from registry.auth.session import load_user

blueprint = Blueprint("auth", __name__)

__all__ = ["blueprint", "public", "roles", "signed_in"]


@blueprint.record_once
def _load_user_first(state: BlueprintSetupState) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, load_user)


blueprint.before_app_request(authorize)
blueprint.after_app_request(set_security_headers)

from registry.auth import views  # noqa: E402, F401  (registers the routes)
