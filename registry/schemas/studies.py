"""Schemas of estimation studies, jobs, results, uploads and duplicate reviews (JSON API).

Input schemas validate what a client sends (``StudySchema``, ``UploadSchema``,
``OverlapQuerySchema``, ``ReviewSchema``); output schemas describe what the API returns.
Outputs hold codes' counts and ids only, never an identifier.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from registry.schemas.base import (
    CHOOSE,
    REQUIRED,
    FormSchema,
    StringField,
    _messages,
    code,
    max_length,
    nul_errors,
    text,
)
from registry.services import uploads
from registry.services.errors import ServiceError
from registry.services.methods import METHODS
from registry.services.periods import parse_period


class UtcDateTime(fields.DateTime):
    """A stored time as RFC 3339 with its offset. Every stored time is UTC, but SQLite
    hands datetimes back without a zone, which would print them without one."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


_required = {"required": REQUIRED, "null": REQUIRED}
#: marshmallow formats a validator's own message with ``str.format``: no braces in it.
TOO_MANY_LISTS = _l("Choose at most ten lists.")


class StudySchema(Schema):
    """A new study: what to estimate, on which lists, for which period and area.

    ``parameters`` are validated by the chosen method's own schema
    (``registry.services.methods.<method>.Parameters``), which fills in its defaults: a
    bad parameter is an error on ``parameters/<name>``. The HTML form posts the same
    names (``parameters/alpha`` ...), so the form and the API share this one schema.
    """

    class Meta:
        unknown = EXCLUDE

    title = fields.String(load_default="", validate=max_length(200))
    method = fields.String(
        required=True,
        validate=validate.OneOf(METHODS, error=CHOOSE),
        error_messages=_required,
        metadata={"description": ", ".join(METHODS)},
    )
    parameters = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        error_messages={"invalid": REQUIRED},
        metadata={
            "description": "the method's parameters, validated by its schema (one module "
            "per method in registry.services.methods; see docs/estimation-jobs.md)"
        },
    )
    lists = fields.List(
        fields.String(validate=max_length(40)),
        load_default=list,
        validate=validate.Length(max=10, error=TOO_MANY_LISTS),
        metadata={
            "description": 'list references: "registry:ost", "upload:12" ...; may be empty '
            "for the HIV trend, retention, coverage, projection and a multiplier with a "
            "typed benchmark"
        },
    )
    period = fields.String(
        required=True, error_messages=_required, metadata={"description": "2003, 2003Q1, 200301"}
    )
    area_code = fields.String(required=True, error_messages=_required)
    strata = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(["sex"], error=CHOOSE)
    )

    @pre_load
    def _no_nul(self, data: Any, **_: Any) -> Any:
        """Text holding a NUL character (which PostgreSQL cannot store) is refused first."""
        if isinstance(data, dict) and (nul := nul_errors(data)):
            raise ValidationError(nul)
        return data

    @validates_schema(skip_on_field_errors=False)
    def _method_parameters(self, data: dict[str, Any], **_: Any) -> None:
        """The parameters through the method's schema; lists unless the method needs none."""
        method = METHODS.get(data.get("method", ""))
        errors: dict[str, Any] = {}
        if method is not None and "parameters" in data:
            try:
                method.load(data["parameters"])
            except ValidationError as error:
                errors.update(error.messages)
        if not data.get("lists") and (method is None or not method.listless):
            errors["lists"] = [REQUIRED]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _loaded_parameters(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """The parameters as the method's schema loads them (its defaults filled in)."""
        data["parameters"] = METHODS[data["method"]].load(data["parameters"])
        return data


class JobSchema(Schema):
    """A job's state (and its study's settings)."""

    id = fields.Integer()
    study_id = fields.Integer(allow_none=True)
    source_list_id = fields.Integer(
        allow_none=True, metadata={"description": "the upload a pairing job works on"}
    )
    title = fields.String(attribute="study.title")
    method = fields.String(attribute="study.method")
    lists = fields.List(fields.String(), attribute="study.lists")
    period = fields.String(attribute="study.period")
    area_code = fields.String(attribute="study.area.code")
    strata = fields.String(attribute="study.strata", allow_none=True)
    parameters = fields.Dict(attribute="study.parameters")
    state = fields.String()
    error = fields.String(allow_none=True)
    attempts = fields.Integer()
    cancel_requested = fields.Boolean()
    progress_done = fields.Integer(
        allow_none=True, metadata={"description": "steps done (bootstrap replicates ...)"}
    )
    progress_total = fields.Integer(
        allow_none=True, metadata={"description": "steps in all; null if the job reports none"}
    )
    queued_at = UtcDateTime()
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)


class ResultSchema(Schema):
    """A succeeded job's result and its provenance."""

    job_id = fields.Integer()
    payload = fields.Dict(metadata={"description": "per method, see registry.services.methods"})
    history_counts = fields.Dict(allow_none=True)
    input_hash = fields.String()
    software_version = fields.String()
    started_at = UtcDateTime()
    finished_at = UtcDateTime()
    approved = fields.Boolean(metadata={"description": "approved for publication"})
    approved_by_id = fields.Integer(allow_none=True)
    approved_at = UtcDateTime(allow_none=True)


def valid_period(value: str) -> None:
    """Validator: an ISO period as the services take it (a year, a half, a quarter or a
    month of 1900..2100), checked by the services' own parser."""
    try:
        parse_period(value)
    except ServiceError as error:
        raise ValidationError([error.message]) from None


class UploadFieldsSchema(FormSchema):
    """The fields of a list upload besides its file: the one set of rules of the upload
    form (``/studies/uploads``, which checks the file beside them) and of
    ``POST /api/uploads`` (:class:`UploadSchema`). Text is trimmed and a NUL refused
    (:class:`~registry.schemas.base.FormSchema`); ``kind`` defaults to ``codes``."""

    kind = code(uploads.KINDS, default="codes")
    source_name = text(uploads.SOURCE_NAME_LENGTH, required=True)
    period = StringField(required=True, validate=valid_period, error_messages=_messages())
    area_code = text(32, required=True)


class UploadSchema(UploadFieldsSchema):
    """A multipart list upload: the form fields and the CSV file, one request body."""

    file = Upload(required=True, error_messages=_required)


class RejectedRowSchema(Schema):
    """A rejected row of an upload: never the submitted value."""

    row = fields.Integer(metadata={"description": "row number in the file (1 is the header)"})
    field = fields.String(metadata={"description": "the column at fault"})
    reason = fields.Function(
        lambda row: uploads.reason_code(row["reason"]),
        metadata={"type": "string", "enum": list(uploads.REJECTION_REASONS)},
    )
    message = fields.Function(
        lambda row: uploads.reason_message(row["reason"]),
        metadata={"type": "string", "description": "the reason in English"},
    )


class SourceListSchema(Schema):
    """An uploaded list: counts and rejected rows (row number, field, reason)."""

    id = fields.Integer()
    ref = fields.String()
    source_name = fields.String()
    kind = fields.String()
    period = fields.String()
    area_code = fields.String(attribute="area.code")
    row_count = fields.Integer()
    accepted_count = fields.Integer()
    code_count = fields.Integer()
    rejected_rows = fields.List(fields.Nested(RejectedRowSchema))
    created_at = UtcDateTime()
    state = fields.String(
        metadata={"description": "ready; processing while its job pairs it; failed; cancelled"}
    )
    job_id = fields.Function(
        lambda source: source.job.id if source.job is not None else None,
        allow_none=True,
        metadata={"description": "the job pairing a large upload (GET /api/jobs/<id>)"},
    )


class OverlapQuerySchema(Schema):
    """Which lists to link for an overlap report (query string)."""

    class Meta:
        unknown = EXCLUDE

    lists = fields.List(fields.String(), required=True, error_messages=_required)
    period = fields.String(required=True, error_messages=_required)
    area_code = fields.String(required=True, error_messages=_required)
    strata = fields.String(load_default=None, validate=validate.OneOf(["sex"], error=CHOOSE))


class DuplicateQuerySchema(Schema):
    """Filter of the duplicate review list."""

    class Meta:
        unknown = EXCLUDE

    list_id = fields.Integer(load_default=None)


class DuplicateSchema(Schema):
    """A potential duplicate pair (codes only)."""

    id = fields.Integer()
    list_id = fields.Integer(allow_none=True)
    code_a = fields.String()
    code_b = fields.String()
    scope = fields.String()
    reason = fields.String()
    decision = fields.String()
    decided_at = UtcDateTime(allow_none=True)


class ReviewSchema(Schema):
    """A decision on a duplicate pair."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf(["accepted", "rejected"], error=CHOOSE),
        error_messages=_required,
    )
