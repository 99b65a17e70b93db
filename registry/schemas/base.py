"""Shared pieces of every schema: form-input handling, translatable messages, fields.

Form input arrives as strings (``request.form``, a ``MultiDict``): :class:`FormSchema`
trims every value, treats an empty string as "not given", reads list fields with
``getlist`` and ignores unknown keys (``csrf_token``, buttons), and refuses text holding a
NUL character (:func:`nul_errors`: PostgreSQL cannot store it). Every error message is a
``lazy_gettext`` string, translated when rendered; ``ValidationError.messages`` is always
``{field: [message, ...]}`` and no message ever repeats the value typed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing, pre_load
from marshmallow.utils import set_value
from marshmallow.validate import And

from registry.schemas.validators import (  # noqa: F401 -- re-exported for the schemas
    CHOOSE,
    FUTURE_DATE,
    Between,
    Choice,
    LocalDate,
    MaxLength,
    between,
    choice,
    max_length,
    not_before,
    not_in_future,
    today,
)

REQUIRED = _l("This field is required.")
INVALID_DATE = _l("Enter a date as YYYY-MM-DD.")
INVALID_INTEGER = _l("Enter a whole number.")
INVALID_NUMBER = _l("Enter a number.")
INVALID_TEXT = _l("Enter text.")
CHOOSE_YES_NO = _l("Choose yes or no.")
UNKNOWN_FIELD = _l("Unknown field.")

NUL_TEXT = _l("Remove the NUL character (code 0) from this text: it cannot be stored.")

#: Form fields that identify a person: never kept on an error, never logged or stored.
IDENTIFYING_FIELDS = frozenset({"family_name", "given_name", "birth_date", "sex", "identifiers"})

#: Earliest date the registry accepts for any event (the registry's records start here).
EARLIEST_EVENT = date(1990, 1, 1)
EARLIEST_BIRTH = date(1900, 1, 1)


def nul_errors(data: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [NUL_TEXT]}`` for each key of ``data`` whose text (or any text nested in
    its lists and mappings) holds a NUL character, which PostgreSQL cannot store."""
    errors: dict[str, list[Any]] = {}
    for key, value in data.items():
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                if "\x00" in item:
                    errors[str(key)] = [NUL_TEXT]
                    break
            elif isinstance(item, Mapping):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list | tuple):
                stack.extend(item)
    return errors


def _messages(**extra: Any) -> dict[str, Any]:
    """Field error messages: the common ones plus ``extra`` (all lazy strings)."""
    return {"required": REQUIRED, "null": REQUIRED, "validator_failed": CHOOSE, **extra}


class _DirectValidation:
    """Field mixin: call a single validator directly.

    marshmallow wraps a field's validators in a new ``And`` for every value it checks,
    which costs more than our validators themselves. With one validator, this raises the
    same error ``And`` would (the messages as a list, the same keyword arguments);
    several validators still go through ``And``, which collects every message.
    """

    validators: list[Callable[[Any], Any]]

    def _validate(self, value: Any) -> None:
        validators = self.validators
        if len(validators) != 1:
            if validators:
                And(*validators)(value)
            return
        try:
            validators[0](value)
        except ValidationError as error:
            messages = error.messages
            messages = [messages] if isinstance(messages, dict) else list(messages)
            raise ValidationError(messages, **error.kwargs) from error


class StringField(_DirectValidation, fields.String):
    """``fields.String`` that checks a single validator without wrapping it."""


class DateField(_DirectValidation, fields.Date):
    """``fields.Date`` that checks a single validator without wrapping it."""


class IntegerField(_DirectValidation, fields.Integer):
    """``fields.Integer`` that checks a single validator without wrapping it."""


class DecimalField(_DirectValidation, fields.Decimal):
    """``fields.Decimal`` that checks a single validator without wrapping it."""


def code(choices: Mapping[str, Any], *, required: bool = False, default: str | None = None):
    """A code-list field (a ``<select>``); ``default`` is used when the field is empty."""
    if default is not None:
        return StringField(
            load_default=default, validate=choice(choices), error_messages=_messages(invalid=CHOOSE)
        )
    return StringField(
        required=required, validate=choice(choices), error_messages=_messages(invalid=CHOOSE)
    )


def event_date(*, required: bool = True, earliest: date = EARLIEST_EVENT) -> fields.Date:
    """A date of an event: ISO format, not in the future, not before ``earliest``."""
    return DateField(
        required=required,
        load_default=None if not required else missing,
        validate=[not_in_future, not_before(earliest)],
        error_messages=_messages(invalid=INVALID_DATE),
    )


def schedule_date(*, earliest: date = EARLIEST_EVENT) -> fields.Date:
    """A date from which something applies: may be in the future (the service that takes
    it sets how far ahead), never before ``earliest``."""
    return DateField(
        required=True,
        validate=[not_before(earliest)],
        error_messages=_messages(invalid=INVALID_DATE),
    )


def integer(
    low: int, high: int, *, required: bool = False, default: int | None = None
) -> fields.Integer:
    """A whole number between ``low`` and ``high`` (``default`` when empty and optional)."""
    return IntegerField(
        required=required,
        load_default=default if not required else missing,
        validate=between(low, high),
        error_messages=_messages(invalid=INVALID_INTEGER, too_large=INVALID_INTEGER),
    )


class FloatField(_DirectValidation, fields.Float):
    """``fields.Float`` that checks a single validator without wrapping it (no NaN)."""


def number(
    low: float, high: float, *, default: float | None = None, required: bool = False
) -> fields.Float:
    """A finite number between ``low`` and ``high`` (``default`` when missing)."""
    return FloatField(
        required=required,
        load_default=missing if required else default,
        allow_none=not required and default is None,
        validate=between(low, high),
        error_messages=_messages(invalid=INVALID_NUMBER, special=INVALID_NUMBER),
    )


def flag(*, default: bool = False) -> fields.Boolean:
    """Yes or no (``true``/``false`` in JSON; the form's select posts the same words)."""
    return fields.Boolean(load_default=default, error_messages=_messages(invalid=CHOOSE_YES_NO))


def day(*, default: date | None = None) -> fields.Date:
    """An ISO date (``None`` when empty)."""
    return DateField(
        load_default=default, allow_none=True, error_messages=_messages(invalid=INVALID_DATE)
    )


def text(limit: int, *, required: bool = False) -> fields.String:
    """Free text of at most ``limit`` characters (``None`` when empty and optional)."""
    return StringField(
        required=required,
        load_default=None if not required else missing,
        validate=max_length(limit),
        error_messages=_messages(invalid=INVALID_TEXT),
    )


class FormSchema(Schema):
    """Base schema for HTML forms and the JSON API alike (see the module docstring)."""

    #: Fields whose value is kept exactly as typed (not trimmed), e.g. passwords.
    verbatim_fields: tuple[str, ...] = ()

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _clean_form_input(self, data: Any, **_kwargs: Any) -> Any:
        """Trim strings, drop empty values, read list fields from a ``MultiDict``."""
        if not isinstance(data, Mapping):
            return data
        cleaned: dict[str, Any] = {}
        for key, is_list, verbatim in self._form_inputs():
            if key not in data:
                continue
            if is_list:
                values = data.getlist(key) if hasattr(data, "getlist") else data[key]
                if isinstance(values, str):
                    values = [values]
                if values is None:
                    continue
                values = [v.strip() if isinstance(v, str) else v for v in values]
                cleaned[key] = [v for v in values if v not in ("", None)]
                continue
            value = data[key]
            if isinstance(value, str):
                value = value if verbatim else value.strip()
                if value == "":
                    continue
            cleaned[key] = value
        if nul := nul_errors(cleaned):
            raise ValidationError(nul)
        return cleaned

    def _form_inputs(self) -> tuple[tuple[str, bool, bool], ...]:
        """(form key, is a list field, kept verbatim) of each load field, worked out once."""
        cached = self.__dict__.get("_form_inputs_cache")
        if cached is None or cached[0] is not self.load_fields:
            inputs = tuple(
                (field.data_key or name, isinstance(field, fields.List),
                 name in self.verbatim_fields)
                for name, field in self.load_fields.items()
            )  # fmt: skip
            cached = self._form_inputs_cache = (self.load_fields, inputs)
        return cached[1]

    def _deserialize(
        self,
        data: Any,
        *,
        error_store: Any,
        many: bool = False,
        partial: Any = None,
        unknown: str = RAISE,
        index: int | None = None,
    ) -> Any:
        """marshmallow's field loop, without its per-field closure and partial-loading
        bookkeeping, for the one case forms use (one mapping, not partial, unknown keys
        excluded); the same fields, calls, errors and result. Other cases go to marshmallow.
        """
        if many or partial is not None or unknown != EXCLUDE or not isinstance(data, Mapping):
            return super()._deserialize(data, error_store=error_store, many=many,
                                        partial=partial, unknown=unknown, index=index)  # fmt: skip
        index = index if self.opts.index_errors else None
        loaded = self.dict_class()
        for attr_name, field in self.load_fields.items():
            field_name = field.data_key if field.data_key is not None else attr_name
            try:
                value = field.deserialize(data.get(field_name, missing), field_name, data)
            except ValidationError as error:
                error_store.store_error(error.messages, field_name, index=index)
                value = error.valid_data or missing
            if value is not missing:
                set_value(loaded, field.attribute or attr_name, value)
        return loaded

    def handle_error(self, error: ValidationError, data: Any, **kwargs: Any) -> None:
        """Re-raise with every field's messages as a list (one shape for the views).

        The error keeps neither the raw input nor the identifying fields of
        ``valid_data``, so logging or displaying it cannot leak them; a view re-fills the
        form from its own request data.
        """
        valid = error.valid_data if isinstance(error.valid_data, dict) else {}
        raise ValidationError(
            _as_lists(error.messages),
            valid_data={k: v for k, v in valid.items() if k not in IDENTIFYING_FIELDS},
        )


def _as_lists(messages: Any) -> dict[str, list[Any]]:
    """``{field: message | [messages] | {index: [...]}}`` -> ``{field: [messages]}``.

    Errors of list items (``{"secondary_drugs": {0: [...]}}``) are flattened onto the
    field, since the form shows them beside the one ``<select multiple>``.
    """
    if not isinstance(messages, dict):
        return {"_schema": _flatten(messages)}
    return {key: _flatten(value) for key, value in messages.items()}


def _flatten(value: Any) -> list[Any]:
    """Every message in ``value`` (a message, a list or a nested dict), without repeats."""
    if isinstance(value, dict):
        items = [m for nested in value.values() for m in _flatten(nested)]
    elif isinstance(value, list):
        items = [m for nested in value for m in _flatten(nested)]
    else:
        items = [value]
    unique: list[Any] = []
    for item in items:  # by identity: rendering a lazy string here would need a request
        if not any(item is seen for seen in unique):
            unique.append(item)
    return unique


def error_paths(messages: Any, prefix: str = "") -> dict[str, list[Any]]:
    """marshmallow's nested messages as ``{"a/b/0/c": [message, ...]}``: the one flattener.

    A message that belongs to no field is under ``_schema`` (or ``<prefix>/_schema``
    flattened onto ``<prefix>``). The API names the fields of its problem details by
    these paths, and the forms name their inputs by them.
    """
    flat: dict[str, list[Any]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = str(key) if not prefix else prefix if key == "_schema" else f"{prefix}/{key}"
            for path, texts in error_paths(value, name).items():
                flat.setdefault(path, []).extend(texts)
        return flat
    if isinstance(messages, list | tuple):
        for value in messages:
            for path, texts in error_paths(value, prefix).items():
                flat.setdefault(path, []).extend(texts)
        return flat
    return {prefix or "_schema": [messages]}
