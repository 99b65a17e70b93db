"""``/api/v1/analytics``: aggregate indicators, DHIS2 style, as JSON, CSV, XLSX or ADX.

::

    GET /api/v1/analytics?dx=REG_CLIENTS;TDI_ENTRANTS&pe=2003;2004Q1&ou=KG;LEVEL-2
    GET /api/v1/analytics.csv?...        the same rows as CSV (``bom=1``: for Excel)
    GET /api/v1/analytics.xlsx?...       the same rows as an XLSX workbook (number cells)
    GET /api/v1/analytics.adx?...        IHE QRPH ADX XML for a DHIS2 import
    GET /api/v1/dhis2/metadata.json      the DHIS2 metadata the ADX imports with

For ministry, epidemiologist and admin users (session or API token); clinic staff are
refused (403). Every answer is audited and disclosure-controlled
(:mod:`registry.analytics`); bad parameters give 422 problem details naming the field.
An ADX answer with no value to publish is a 409 (ADX has no empty document). The
metadata package (:mod:`registry.analytics.dhis2_metadata`) holds no data: it is what a
DHIS2 administrator imports once so that every ADX export imports with no mapping.
The query schema below documents the parameters in the OpenAPI document; the values are
read by :func:`registry.analytics.parse_request`, which also accepts a repeated
``dimension`` parameter.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from registry.analytics import parse_request, run_query
from registry.analytics.dhis2_metadata import metadata_package
from registry.analytics.formats import NothingToPublish
from registry.analytics.query import ANALYTICS_ROLES, ensure_analytics
from registry.analytics.tables import Geography
from registry.api import ApiBlueprint, service_error
from registry.api.documentation import BINARY_FILE, TEXT_FILE
from registry.auth.roles import roles
from registry.errors import problem
from registry.services.audit import commit_read
from registry.services.errors import ServiceError
from registry.spreadsheets import BOM, XLSX_MIMETYPE, bom_requested

ADX_MIMETYPE = "application/adx+xml"

blueprint = ApiBlueprint(
    "analytics_api",
    __name__,
    url_prefix="/api/v1",
    description="Aggregate indicators (DHIS2-style analytics) with disclosure control.",
)
blueprint.errorhandler(ServiceError)(service_error)


class AnalyticsQuerySchema(Schema):
    """The query parameters (DHIS2 names); see docs/indicators.md for the codes."""

    dx = fields.String(metadata={"description": "Indicator codes separated by ';'",
                                 "example": "REG_CLIENTS;TDI_ENTRANTS"})  # fmt: skip
    pe = fields.String(metadata={"description": "ISO periods (2003, 2003S1, 2003Q1, 200301) "
                                 "or relative periods (LAST_5_YEARS ...), ';'-separated",
                                 "example": "2003;2004Q1"})  # fmt: skip
    ou = fields.String(metadata={"description": "Org unit codes and LEVEL-n, ';'-separated",
                                 "example": "KG;LEVEL-2"})  # fmt: skip
    dimension = fields.List(fields.String(), metadata={
        "description": "dx:/pe:/ou: items, or a disaggregation: sex, age, SEX:M;F, "
        "AGE:15-19;20-24"})  # fmt: skip
    relativePeriodDate = fields.String(  # noqa: N815  (the DHIS2 parameter name)
        metadata={"description": "The day relative periods count from (YYYY-MM-DD)"}
    )


class AnalyticsCsvQuerySchema(AnalyticsQuerySchema):
    """The query parameters, and the CSV's byte order mark."""

    bom = fields.String(metadata={"description": "1: start with the UTF-8 byte order mark, "
                                  "which Excel needs to read Cyrillic; 0 (default): none",
                                  "enum": ["0", "1"]})  # fmt: skip


class AnalyticsSchema(Schema):
    """An answer: DHIS2-like headers, rows and metaData."""

    headers = fields.List(fields.Dict())
    rows = fields.List(fields.List(fields.Raw()))
    metaData = fields.Dict()  # noqa: N815
    height = fields.Integer()
    width = fields.Integer()


def _answer(*, download_options: tuple[str, ...] = ()):
    """The answer to the query (audited); ``download_options`` are read by the view."""
    args = request.args.copy()
    for name in download_options:
        args.poplist(name)
    response = run_query(parse_request(args), actor=g.user)
    commit_read()  # the audit row
    return response


def _download(body: str | bytes, mimetype: str, filename: str) -> Response:
    disposition = f"attachment; filename={filename}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})


@blueprint.route("/analytics")
@roles(*ANALYTICS_ROLES)
class Analytics(MethodView):
    """Indicators as JSON."""

    @blueprint.arguments(AnalyticsQuerySchema, location="query")
    @blueprint.response(200, AnalyticsSchema)
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """Indicators x periods x org units (x sex x age); withheld values are null."""
        return _answer().as_json()


@blueprint.route("/analytics.csv")
@roles(*ANALYTICS_ROLES)
class AnalyticsCsv(MethodView):
    """Indicators as CSV."""

    @blueprint.arguments(AnalyticsCsvQuerySchema, location="query")
    @blueprint.response(200, TEXT_FILE, content_type="text/csv")
    def get(self, _args: dict[str, Any]) -> Response:
        """The same rows as CSV under a header line of column codes; withheld values are
        empty; decimals with a point (``bom=1`` starts it with a byte order mark)."""
        bom = bom_requested(request.args)
        body = (BOM if bom else "") + _answer(download_options=("bom",)).as_csv()
        return _download(body, "text/csv", "analytics.csv")


@blueprint.route("/analytics.xlsx")
@roles(*ANALYTICS_ROLES)
class AnalyticsXlsx(MethodView):
    """Indicators as an XLSX workbook."""

    @blueprint.arguments(AnalyticsQuerySchema, location="query")
    @blueprint.response(200, BINARY_FILE, content_type=XLSX_MIMETYPE)
    def get(self, _args: dict[str, Any]) -> Response:
        """The same cells as the JSON answer, with numbers as number cells and withheld
        values empty; headers in the request's language; a second sheet names the codes."""
        return _download(_answer().as_xlsx(), XLSX_MIMETYPE, "analytics.xlsx")


@blueprint.route("/analytics.adx")
@roles(*ANALYTICS_ROLES)
class AnalyticsAdx(MethodView):
    """Indicators as ADX XML."""

    @blueprint.arguments(AnalyticsQuerySchema, location="query")
    @blueprint.response(200, TEXT_FILE, content_type=ADX_MIMETYPE)
    @blueprint.alt_response(409, response="CONFLICT")
    def get(self, _args: dict[str, Any]) -> Response:
        """IHE QRPH ADX (codes as identifiers) for a DHIS2 import; withheld values left out.

        Identifiers are those of ``/api/v1/dhis2/metadata.json``. An answer with no value
        to publish (every value withheld, no estimate) is a 409: ADX has no empty document.
        """
        try:
            body = _answer().as_adx()
        except NothingToPublish as error:
            return problem(409, str(error.message))
        return _download(body, ADX_MIMETYPE, "analytics.adx.xml")


class MetadataPackageSchema(Schema):
    """DHIS2's metadata import JSON (``POST /api/metadata`` on a DHIS2 instance)."""

    categoryOptions = fields.List(fields.Dict())  # noqa: N815  (DHIS2's names)
    categories = fields.List(fields.Dict())
    categoryCombos = fields.List(fields.Dict())  # noqa: N815
    categoryOptionCombos = fields.List(fields.Dict())  # noqa: N815
    dataElements = fields.List(fields.Dict())  # noqa: N815
    dataSets = fields.List(fields.Dict())  # noqa: N815
    organisationUnits = fields.List(fields.Dict())  # noqa: N815


@blueprint.route("/dhis2/metadata.json")
@roles(*ANALYTICS_ROLES)
class Dhis2Metadata(MethodView):
    """The DHIS2 metadata of the indicators (no data)."""

    @blueprint.response(200, MetadataPackageSchema)
    def get(self) -> dict[str, Any]:
        """Data elements, categories, options, combos, the data set and the org units, with
        the UIDs of ``/api/analytics`` and the codes of the ADX export, for a DHIS2
        administrator to import once (names in the request's language)."""
        ensure_analytics(g.user)
        for name in request.args:
            raise ServiceError(_l("Unknown parameter."), name[:40])
        return metadata_package(list(Geography.load().units.values()))
