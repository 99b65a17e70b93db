"""The exception services raise when a business rule rejects otherwise valid input.

``ServiceError(message, field=None)``: ``message`` is a translatable (lazy) string with no
identifying value in it; ``field`` is the HTML form field name the message belongs beside
(``None`` for a form-level message). :class:`ClientAlreadyAdmittedError` also names the client,
so that a form can link to them. :meth:`ServiceError.messages` gives the same shape as
``marshmallow.ValidationError.messages`` so a view can treat both alike::

    try:
        episode = admit_client(data, actor=user, centre=centre)
    except (ValidationError, ServiceError) as error:
        db.session.rollback()
        errors = error.messages          # {"field": ["message", ...]}

A service checks every rule it can before it raises (issue 13: every error of a
submission is shown at once): its rules return a list of errors, and :func:`raise_all`
raises them together as one :class:`ServiceRuleErrors` (or the single error as it is). A
form whose schema already failed calls the same rules on the fields that were valid
(``error.valid_data``), so schema and rule messages appear side by side.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

#: Key used in ``messages`` for an error that belongs to no single field.
FORM_ERRORS = "_schema"


class ServiceError(Exception):
    """A rule violation; ``field`` names the form field the message belongs beside."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def messages(self) -> dict[str, list[Any]]:
        """``{field or "_schema": [message]}``, as ``ValidationError.messages``."""
        return {self.field or FORM_ERRORS: [self.message]}

    def __str__(self) -> str:
        return str(self.message)


class ServiceRuleErrors(ServiceError):  # noqa: N818 - holds several errors
    """Several rule violations of one submission; ``errors`` keeps each one."""

    def __init__(self, errors: list[ServiceError]) -> None:
        super().__init__(errors[0].message, errors[0].field)
        self.errors = errors

    @property
    def messages(self) -> dict[str, list[Any]]:
        merged: dict[str, list[Any]] = {}
        for error in self.errors:
            for field, texts in error.messages.items():
                merged.setdefault(field, []).extend(texts)
        return merged

    def __str__(self) -> str:
        return " ".join(str(error) for error in self.errors)


def each_error(error: BaseException) -> list[Any]:
    """The single errors of ``error`` (itself, or those a :class:`ServiceRuleErrors` holds)."""
    return list(error.errors) if isinstance(error, ServiceRuleErrors) else [error]


def raise_all(errors: list[ServiceError]) -> None:
    """Raise every error in ``errors`` at once (nothing if the list is empty)."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ServiceRuleErrors(errors)


class ClientAlreadyAdmittedError(ServiceError):
    """The client of the typed identifiers already has an open episode of the programme here.

    ``client_id`` names that client; ``just_created`` is true when the client did not exist
    when this admission began, i.e. another desk saved the same new person a moment ago.
    The message belongs beside ``programme``; the form adds a link to the client.
    """

    def __init__(self, message: Any, *, client_id: int, just_created: bool) -> None:
        super().__init__(message, "programme")
        self.client_id = client_id
        self.just_created = just_created


class NotFound(ServiceError):  # noqa: N818 - reads as the HTTP outcome, like AccessDenied
    """The record asked for does not exist (a view answers 404, not 422)."""


class DuplicateEntryError(ServiceError):
    """A second record of something already recorded (the same test on the same day...).

    ``entity`` and ``record_id`` name the existing record (an amendment ``entity``), so
    a form can offer "correct the existing one" with a link to its correction form.
    """

    def __init__(self, message: Any, field: str, *, entity: str, record_id: int) -> None:
        super().__init__(message, field)
        self.entity = entity
        self.record_id = record_id


class NearClientsError(ServiceError):
    """No client has the typed identifiers, but ``clients`` of the centre are one spelling
    edit away: staff choose one of them or a new person (form field ``near_match``)."""

    def __init__(self, clients: list[Any], message: Any = None) -> None:
        super().__init__(
            message
            or _l(
                "A client of this centre has almost the same identifiers. Is this the "
                "same person? Choose below, type the identifiers again and save."
            ),
            "near_match",
        )
        self.clients = clients
