"""Schema of the login form.

Public interface::

    LoginSchema().load(form) -> {"username": str, "password": str}

The password is kept as typed (only the username is trimmed and lower-cased).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, post_load

from registry.schemas.base import FormSchema, _messages, max_length


class LoginSchema(FormSchema):
    """Username and password; :func:`registry.services.users.authenticate` checks them."""

    verbatim_fields = ("password",)

    username = fields.String(required=True, validate=max_length(64), error_messages=_messages())
    password = fields.String(required=True, validate=max_length(1024), error_messages=_messages())

    @post_load
    def _lower_username(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["username"] = data["username"].lower()
        return data
