"""HTML forms on marshmallow schemas: parse the posted form, keep its values and errors.

The schemas of :mod:`registry.schemas` are the one validation layer; this module only
adapts an HTML form to them (empty inputs become missing values, repeated checkboxes
become lists, ``a/b/0`` names become nested JSON) and translates marshmallow's few fixed
English messages, so every message beside a field is in the user's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from marshmallow import Schema, ValidationError, fields
from werkzeug.datastructures import MultiDict

from registry.extensions import db
from registry.schemas.base import error_paths
from registry.services.errors import DuplicateEntryError, ServiceError, each_error

#: marshmallow's fixed default messages, so they are extracted and translated.
FIXED_MESSAGES = {
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field is required."),
    "Invalid value.": _l("Invalid value."),
    "Invalid input.": _l("Invalid value."),
    "Not a valid string.": _l("Not a valid text."),
    "Not a valid number.": _l("Enter a number."),
    "Not a valid integer.": _l("Enter a whole number."),
    "Number too large.": _l("The number is too large."),
    "Special numeric values (nan or infinity) are not permitted.": _l("Enter a number."),
    "Not a valid date.": _l("Enter a date (day, month, year)."),
    "Not a valid datetime.": _l("Enter a date and time."),
    "Not a valid boolean.": _l("Choose yes or no."),
    "Not a valid list.": _l("Invalid value."),
    "Unknown field.": _l("Unknown field."),
    "Invalid input type.": _l("Invalid value."),
    "String does not match expected pattern.": _l("The value does not have the expected form."),
}


def translate_message(message: Any) -> str:
    """The user's-language text of one schema error message.

    Lazy strings from the schemas translate themselves: every validator of the project's
    schemas (``registry.schemas.base``: ``between``, ``max_length``, ``choice`` ...), and
    every marshmallow validator they use, raises one, so no English message with numbers
    in it needs reading back. marshmallow's few fixed defaults (a field's type error where
    a schema gives no message of its own) are looked up here; anything else goes through
    the catalogue.
    """
    text = str(message)
    if text in FIXED_MESSAGES:
        return str(FIXED_MESSAGES[text])
    return _(text) if text else text


def flatten_errors(messages: Any) -> dict[str, list[str]]:
    """``{"path": ["message", ...]}`` from marshmallow's (possibly nested) messages, translated.

    The paths are those of :func:`registry.schemas.base.error_paths` (``parameters/alpha``,
    ``parameters/surveys/0/in_benchmark``): the names of the form's inputs, and the
    ``field`` of the API's problem details.
    """
    return {
        path: list(dict.fromkeys(translate_message(m) for m in texts))
        for path, texts in error_paths(messages).items()
    }


@dataclass
class FormState:
    """What a form page shows: the submitted values and the errors beside each field.

    ``hidden`` names fields whose values are never sent back to the browser (client
    identifiers): after a failed submission the user types them again.
    """

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()
    #: The fields the schema accepted when others failed (for the service's rules only).
    valid: dict[str, Any] = field(default_factory=dict, repr=False)

    def add_rule_errors(self, errors: list[ServiceError]) -> None:
        """Add the messages of rules checked on the valid fields, beside fields that have
        no message yet (a rule about a field the schema refused would repeat it)."""
        for error in errors:
            for name, texts in flatten_errors(error.messages).items():
                if name == "_schema" or name not in self.errors:
                    self.errors.setdefault(name, []).extend(texts)
            if isinstance(error, DuplicateEntryError):
                self.errors.setdefault("_schema", []).append(correct_existing_link(error))

    def value(self, name: str, default: str = "") -> str:
        """The value to put back into input ``name`` (never an identifier)."""
        if name in self.hidden:
            return ""
        value = self.values.get(name, default)
        return "" if value is None else str(value)

    def chosen(self, name: str, code: str) -> bool:
        """True if option ``code`` of select/radio/checkbox ``name`` was chosen."""
        if name in self.hidden:
            return False
        value = self.values.get(name)
        if isinstance(value, list | tuple | set):
            return code in value
        return value == code

    def errors_for(self, name: str) -> list[str]:
        """The translated messages to show beside field ``name``."""
        return self.errors.get(name, [])

    @property
    def general_errors(self) -> list[str]:
        """Messages that belong to no single field."""
        return self.errors.get("_schema", [])


def list_fields(schema: Schema) -> set[str]:
    """Names (as posted) of the schema's list fields, which take repeated inputs."""
    return {
        (f.data_key or name)
        for name, f in schema.fields.items()
        if isinstance(f, fields.List) and not f.dump_only
    }


#: Inputs every form may post besides its schema's fields: the CSRF token (checked by
#: Flask-WTF before the view) and the ``action`` of a form with several submit buttons.
FORM_CONTROLS = frozenset({"csrf_token", "action"})


def unknown_fields(schema: Schema, formdata: Iterable[str], *, nested: bool = False) -> list[str]:
    """The posted input names that are neither a field of ``schema`` nor a form control.

    ``nested``: inputs are named by path (``parameters/alpha``) and only the first segment
    is a field of ``schema`` (the nested schema refuses its own unknown keys).
    """
    names = {(f.data_key or name) for name, f in schema.fields.items() if not f.dump_only}
    posted = dict.fromkeys(name.split("/", 1)[0] if nested else name for name in formdata)
    return [name for name in posted if name not in names and name not in FORM_CONTROLS]


def unknown_fields_message(names: list[str]) -> Any:
    """The form-level message refusing a submission with fields the form does not have
    (the first five names, each cut to 40 characters: they are whatever was posted)."""
    shown = ", ".join(name[:40] for name in names[:5])
    return _l(
        "The form was sent with fields it does not have (%(names)s): nothing was saved. "
        "Reload the page and fill the form again.",
        names=shown,
    )


def form_input(schema: Schema, formdata: MultiDict[str, str]) -> dict[str, Any]:
    """The posted values the schema knows, as it expects them.

    Blank inputs are left out (so "required" errors come from the schema, not from an
    empty string failing a type check); other keys are dropped here, after
    :func:`load_form` has refused any that is not a form control (:data:`FORM_CONTROLS`).
    """
    names = {(f.data_key or name) for name, f in schema.fields.items() if not f.dump_only}
    many = list_fields(schema)
    data: dict[str, Any] = {}
    for name in names:
        if name in many:
            values = [v.strip() for v in formdata.getlist(name) if v.strip()]
            if values:
                data[name] = values
        else:
            value = formdata.get(name, "").strip()
            if value:
                data[name] = value
    return data


def nested_form_input(formdata: MultiDict[str, str], many: Iterable[str] = ()) -> dict:
    """The posted form as the JSON a schema loads: ``a/b/0/c`` names become nested.

    Blank inputs are left out; names in ``many`` are read as lists (checkboxes); a path
    segment of digits is a list index (list items in index order, blank rows dropped).
    """
    many = set(many)
    tree: dict[str, Any] = {}
    for name in formdata:
        if name in many:
            values = [v.strip() for v in formdata.getlist(name) if v.strip()]
            value: Any = values or None
        else:
            value = formdata.get(name, "").strip() or None
        if value is None:
            continue
        *parents, last = name.split("/")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[last] = value
    return _lists(tree)


def _lists(node: Any) -> Any:
    """Dicts whose keys are all digits become lists, in index order."""
    if not isinstance(node, dict):
        return node
    items = {key: _lists(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def posted_values(formdata: MultiDict[str, str], many: Iterable[str] = ()) -> dict[str, Any]:
    """The posted values by input name, to put back into the form (lists for ``many``)."""
    many = set(many)
    return {
        name: formdata.getlist(name) if name in many else formdata.get(name, "").strip()
        for name in formdata
        if name not in FORM_CONTROLS
    }


def form_values(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``data`` (JSON, as a schema dumps it) as the form's inputs: ``{"a/b": "text"}``.

    Booleans become ``true``/``false`` (what a yes/no select posts); ``None`` is left out.
    """
    out: dict[str, str] = {}
    items = enumerate(data) if isinstance(data, list) else data.items()
    for key, value in items:
        name = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, Mapping | list):
            out.update(form_values(value, name))
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif value is not None:
            out[name] = str(value)
    return out


def load_form(
    schema: Schema,
    formdata: MultiDict[str, str],
    *,
    hidden: Iterable[str] = (),
    nested: bool = False,
) -> tuple[dict[str, Any] | None, FormState]:
    """Validate the posted form with ``schema``.

    ``nested``: the inputs are named by path (``parameters/alpha``) and loaded as the
    nested JSON the API takes (:func:`nested_form_input`).

    Returns ``(data, state)``: ``data`` is the loaded dict, or ``None`` when there are
    errors, which ``state`` then carries (translated) beside each field. A form posted with
    an input the schema does not know (other than :data:`FORM_CONTROLS`) is refused as a
    whole, as the API refuses an unknown parameter: silently dropping it would lose what
    the user typed (a field of a newer form, a misspelt name of a scripted post).
    """
    if nested:
        many = list_fields(schema)
        raw = nested_form_input(formdata, many)
        state = FormState(values=posted_values(formdata, many), hidden=frozenset(hidden))
    else:
        raw = form_input(schema, formdata)
        state = FormState(values=raw, hidden=frozenset(hidden))
    unknown = unknown_fields(schema, formdata, nested=nested)
    try:
        data = schema.load(raw)
    except ValidationError as error:
        messages = error.messages
        data = None
        state.valid = error.valid_data if isinstance(error.valid_data, dict) else {}
    else:
        messages = {}
    if unknown:  # refused whole, with the fields' own messages beside it
        if data is not None:  # the rules still check what was typed
            state.valid = data
        general = [unknown_fields_message(unknown), *messages.get("_schema", [])]
        messages = {**messages, "_schema": general}
    if messages:
        state.errors = flatten_errors(messages)
        return None, state
    return data, state


def errors_state(
    error: ValidationError | ServiceError,
    values: Mapping[str, Any],
    *,
    hidden: Iterable[str] = (),
) -> FormState:
    """A form state for an error raised by a service after the schema.

    A :class:`DuplicateEntryError` also gets a form-level message linking to the
    existing record's correction form ("correct the existing one").
    """
    state = FormState(
        values=dict(values), errors=flatten_errors(error.messages), hidden=frozenset(hidden)
    )
    for single in each_error(error):
        if isinstance(single, DuplicateEntryError):
            state.errors.setdefault("_schema", []).append(correct_existing_link(single))
    return state


def correct_existing_link(error: DuplicateEntryError) -> Markup:
    """The "correct the existing one" message, linked to the record's correction form."""
    url = url_for("web.correct_record", entity=error.entity, record_id=error.record_id)
    link = Markup('<a href="{}">{}</a>').format(url, _("correct the existing one"))
    return escape(_("%(message)s You can %(link)s.")) % {"message": str(error), "link": link}


def submit_form(
    schema: Schema,
    save: Callable[[dict[str, Any]], Any],
    *,
    saved: str,
    hidden: Iterable[str] = (),
    nested: bool = False,
    rules: Callable[[dict[str, Any]], list[ServiceError]] | None = None,
) -> tuple[Any, FormState]:
    """The one transaction shape of every clinic form.

    Validates the posted form with ``schema`` and calls ``save(data)`` (a service). On
    success commits, flashes ``saved`` and returns ``(save's result, state)``; on any
    error rolls back, so nothing is written, and returns ``(None, state)`` with the
    messages beside the fields. ``save`` must not return ``None`` on success.

    ``rules(valid fields)`` is the service's rule check (what ``save`` checks first):
    when the schema refuses some fields it is called on the others, so every error of
    the submission is shown at once, not the service's only after the schema's.
    """
    data, state = load_form(schema, request.form, hidden=hidden, nested=nested)
    if data is None and rules is not None:
        state.add_rule_errors(rules(state.valid))
    if data is not None:
        try:
            result = save(data)
        except (ValidationError, ServiceError) as error:
            state = errors_state(error, state.values, hidden=hidden)
        else:
            db.session.commit()
            flash(saved, "info")
            return result, state
    db.session.rollback()
    return None, state
