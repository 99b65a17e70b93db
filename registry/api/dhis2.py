"""The DHIS2-compatible face: ``/api/analytics`` and ``/api/me`` as DHIS2 clients read them.

::

    GET /api/analytics?dimension=dx:REG_CLIENTS,pe:2003,ou:LEVEL-2;KG&dimension=SEX
    GET /api/analytics.json | .csv | .xml       the same grid as JSON, CSV or XML
    GET /api/analytics.xlsx                     the same grid as an XLSX workbook
    GET /api/me?fields=id,username              the caller, as DHIS2 describes a user

Parameters and the answer follow DHIS2's analytics API (see
:mod:`registry.analytics.dhis2_request` and :mod:`registry.analytics.dhis2_grid`), so
DHIS2's own tools and client libraries read it unchanged. Authentication is an API token
(``Authorization: ApiToken <token>``, or ``Bearer``) or, on these endpoints only, HTTP
Basic with a user's password, throttled exactly like the sign-in form
(:mod:`registry.auth.basic`). Only ministry, epidemiologist and admin users get an answer
(deny by default); every answer is the native analytics answer
(``/api/v1/analytics``: same cells, same disclosure control, same audit), with withheld
values left out as DHIS2 leaves out empty cells.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from registry.analytics import run_query
from registry.analytics.dhis2_grid import dhis2_grid, grid_csv, grid_xml
from registry.analytics.dhis2_ids import uid
from registry.analytics.dhis2_request import parse_dhis2
from registry.analytics.query import ANALYTICS_ROLES, ensure_analytics
from registry.analytics.tables import Geography
from registry.analytics.workbook import grid_workbook
from registry.api import ApiBlueprint, service_error
from registry.api.documentation import BINARY_FILE, TEXT_FILE
from registry.auth.roles import roles
from registry.services.audit import commit_read
from registry.services.errors import ServiceError
from registry.spreadsheets import BOM, XLSX_MIMETYPE, bom_requested

blueprint = ApiBlueprint(
    "dhis2_api",
    __name__,
    url_prefix="/api",
    description="DHIS2-compatible analytics for DHIS2's tools and client libraries.",
)
blueprint.errorhandler(ServiceError)(service_error)

#: How DHIS2 clients sign in (see registry.auth.basic); documented on each operation.
SECURITY = [{"bearerAuth": []}, {"dhis2ApiToken": []}, {"basicAuth": []}]
_BOOLEAN = {"description": "true or false", "example": "true"}


class Dhis2QuerySchema(Schema):
    """DHIS2's analytics query parameters (documented here, read by ``parse_dhis2``)."""

    dimension = fields.List(fields.String(), metadata={
        "description": "A dimension and its items, repeated or comma-separated: dx (indicator "
        "UIDs or codes), pe (ISO or relative periods such as LAST_6_MONTHS, "
        "QUARTERS_THIS_YEAR), ou (org unit UIDs or codes, LEVEL-n, LEVEL-n-<ou>, "
        "OU_GROUP-<group>, USER_ORGUNIT), co (category option combos), or a category "
        "(SEX, AGE, DRUG, ROUTE, INJECTING, POLYDRUG, or its UID) with its options.",
        "example": "dx:REG_CLIENTS;TDI_ENTRANTS,pe:2003,ou:KG"})  # fmt: skip
    filter = fields.List(fields.String(), metadata={
        "description": "A dimension with exactly one item that the answer is restricted to, "
        "without a column.", "example": "pe:2003"})  # fmt: skip
    displayProperty = fields.String(  # noqa: N815  (DHIS2's parameter names)
        metadata={"description": "NAME or SHORTNAME (the same names here)"}
    )
    skipMeta = fields.String(metadata={**_BOOLEAN, "description": "true: no metaData"})  # noqa: N815
    skipData = fields.String(metadata={**_BOOLEAN, "description": "true: no rows"})  # noqa: N815
    paging = fields.String(metadata={**_BOOLEAN, "description": "Accepted; never paged"})
    ignoreLimit = fields.String(metadata={**_BOOLEAN, "description": "Accepted"})  # noqa: N815
    outputIdScheme = fields.String(  # noqa: N815
        metadata={"description": "UID (default), CODE or NAME"}
    )
    includeNumDen = fields.String(metadata={  # noqa: N815
        **_BOOLEAN, "description": "true: numerator, denominator, factor, multiplier and "
        "divisor columns"})  # fmt: skip
    relativePeriodDate = fields.String(  # noqa: N815
        metadata={"description": "The day relative periods count from (YYYY-MM-DD)"}
    )


class Dhis2CsvQuerySchema(Dhis2QuerySchema):
    """DHIS2's parameters, and the CSV's byte order mark (not a DHIS2 parameter)."""

    bom = fields.String(metadata={"description": "1: start with the UTF-8 byte order mark "
                                  "(for Excel); 0 (default): none",
                                  "enum": ["0", "1"]})  # fmt: skip


class GridSchema(Schema):
    """DHIS2's analytics grid."""

    headers = fields.List(
        fields.Dict(),
        metadata={"description": "name, column, valueType, type, hidden, meta of each column"},
    )
    metaData = fields.Dict(metadata={"description": "items (names) and dimensions"})  # noqa: N815
    rowContext = fields.Dict()  # noqa: N815
    rows = fields.List(
        fields.List(fields.String()),
        metadata={"description": "Dimension items, then the value, all as text"},
    )
    height = fields.Integer()
    width = fields.Integer()
    headerWidth = fields.Integer()  # noqa: N815


class MeQuerySchema(Schema):
    """The fields to answer with."""

    fields = fields.String(metadata={"description": "Comma-separated field names",
                                     "example": "id,username"})  # fmt: skip


class MeSchema(Schema):
    """The caller, in the fields DHIS2 clients read."""

    id = fields.String()
    username = fields.String()
    name = fields.String()
    displayName = fields.String()  # noqa: N815
    firstName = fields.String()  # noqa: N815
    surname = fields.String()
    userRoles = fields.List(fields.Dict())  # noqa: N815
    userCredentials = fields.Dict()  # noqa: N815
    organisationUnits = fields.List(fields.Dict())  # noqa: N815
    dataViewOrganisationUnits = fields.List(fields.Dict())  # noqa: N815
    authorities = fields.List(fields.String())
    settings = fields.Dict()


def _grid(*, download_options: tuple[str, ...] = ()) -> dict[str, Any]:
    ensure_analytics(g.user)
    geography = Geography.load()
    args = request.args.copy()
    for name in download_options:  # read by the view, not a DHIS2 parameter
        args.poplist(name)
    query = parse_dhis2(args, geography=geography)
    response = run_query(query.native, actor=g.user)
    commit_read()  # the audit row
    return dhis2_grid(query, response, geography)


def _download(body: str | bytes, mimetype: str, filename: str) -> Response:
    disposition = f"attachment; filename={filename}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})


@blueprint.route("/analytics")
@roles(*ANALYTICS_ROLES)
class Analytics(MethodView):
    """Indicators as DHIS2's analytics grid (JSON)."""

    @blueprint.doc(security=SECURITY)
    @blueprint.arguments(Dhis2QuerySchema, location="query")
    @blueprint.response(200, GridSchema)
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """DHIS2's analytics answer; withheld values are left out."""
        return _grid()


@blueprint.route("/analytics.json")
@roles(*ANALYTICS_ROLES)
class AnalyticsJson(MethodView):
    """The same grid, under DHIS2's ``.json`` path."""

    @blueprint.doc(security=SECURITY)
    @blueprint.arguments(Dhis2QuerySchema, location="query")
    @blueprint.response(200, GridSchema)
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """DHIS2's analytics answer; withheld values are left out."""
        return _grid()


@blueprint.route("/analytics.csv")
@roles(*ANALYTICS_ROLES)
class AnalyticsCsv(MethodView):
    """The grid as CSV."""

    @blueprint.doc(security=SECURITY)
    @blueprint.arguments(Dhis2CsvQuerySchema, location="query")
    @blueprint.response(200, TEXT_FILE, content_type="text/csv")
    def get(self, _args: dict[str, Any]) -> Response:
        """A line of column names (Data, Period, Organisation unit, Value), then the rows
        (``bom=1``: starting with a byte order mark, for Excel)."""
        bom = bom_requested(request.args)
        body = (BOM if bom else "") + grid_csv(_grid(download_options=("bom",)))
        return _download(body, "text/csv", "analytics.csv")


@blueprint.route("/analytics.xlsx")
@roles(*ANALYTICS_ROLES)
class AnalyticsXlsx(MethodView):
    """The grid as an XLSX workbook."""

    @blueprint.doc(security=SECURITY)
    @blueprint.arguments(Dhis2QuerySchema, location="query")
    @blueprint.response(200, BINARY_FILE, content_type=XLSX_MIMETYPE)
    def get(self, _args: dict[str, Any]) -> Response:
        """The grid's rows with values as number cells, headers in the request's language,
        and a second sheet naming the items (unless ``skipMeta``)."""
        return _download(grid_workbook(_grid()), XLSX_MIMETYPE, "analytics.xlsx")


@blueprint.route("/analytics.xml")
@roles(*ANALYTICS_ROLES)
class AnalyticsXml(MethodView):
    """The grid as XML."""

    @blueprint.doc(security=SECURITY)
    @blueprint.arguments(Dhis2QuerySchema, location="query")
    @blueprint.response(200, TEXT_FILE, content_type="application/xml")
    def get(self, _args: dict[str, Any]) -> Response:
        """DHIS2's grid XML: headers, then rows of fields."""
        return _download(grid_xml(_grid()), "application/xml", "analytics.xml")


@blueprint.route("/me")
@roles(*ANALYTICS_ROLES)
class Me(MethodView):
    """The signed-in caller."""

    @blueprint.doc(security=SECURITY)
    @blueprint.arguments(MeQuerySchema, location="query")
    @blueprint.response(200, MeSchema)
    def get(self, _args: dict[str, Any]) -> Response:
        """Who the credentials belong to, as DHIS2's ``/api/me`` (``fields`` honoured)."""
        ensure_analytics(g.user)
        unknown = [name for name in request.args if name != "fields"]
        if unknown:
            raise ServiceError(_l("Unknown parameter."), unknown[0][:40])
        return jsonify(_me(request.args.get("fields", "")))


def _me(wanted: str) -> dict[str, Any]:
    user = g.user
    roots = [u for u in Geography.load().units.values() if u.level == 1]
    units = [{"id": uid("ou", u.code), "code": u.code, "name": u.display_name} for u in roots]
    role = {"id": uid("userRole", user.role), "name": user.role}
    me: dict[str, Any] = {
        "id": uid("user", str(user.id)),
        "username": user.username,
        "name": user.username,
        "displayName": user.username,
        "firstName": user.username,
        "surname": "",
        "userRoles": [role],
        "userCredentials": {"username": user.username, "userRoles": [role]},
        "organisationUnits": units,
        "dataViewOrganisationUnits": units,
        "authorities": ["M_dhis-web-data-visualizer"],
        "settings": {"keyUiLocale": user.locale or "en"},
    }
    names = [name.strip() for name in wanted.split(",") if name.strip()]
    names = [name.split("[", 1)[0] for name in names]
    if not names or "*" in names or ":all" in names:
        return me
    return {name: me[name] for name in names if name in me}
