"""The centre's client list (filters, paging, code lookup), printouts and exports.

All read-only and audited by the services; a page of another centre's client is a 404.
Filters are a GET form, so a list can be bookmarked and paged; they hold no identifier
(only the first characters of the pseudonymous code).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Response, abort, g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from registry.auth.roles import roles
from registry.extensions import db
from registry.models.users import CLINIC_STAFF
from registry.schemas.client_list import HIV_STATUS, ClientListSchema
from registry.services import listings
from registry.services.audit import commit_read
from registry.services.centre_export import EXPORT_COLUMNS, centre_episodes
from registry.services.client_list import ClientFilters, list_clients
from registry.spreadsheets import XLSX_MIMETYPE, Sheet, xlsx_bytes
from registry.web import blueprint
from registry.web.forms import FormState, flatten_errors, form_input


@blueprint.route("/clients")
@roles(CLINIC_STAFF)
def clients() -> Any:
    """The centre's clients, latest admission first; one match of a code prefix opens it."""
    schema = ClientListSchema()
    raw = form_input(schema, request.args)
    form = FormState(values=raw)
    try:
        data = schema.load(raw)
    except ValidationError as error:
        form.errors = flatten_errors(error.messages)
        page = render_template("web/clients.html", form=form, result=None, hiv=HIV_STATUS)
        return page, 422
    filters = ClientFilters(
        code_prefix=data["code"], open_episode=data["open"], programme=data.get("programme"),
        on_ost=data["ost"], hiv=data.get("hiv"), admitted_from=data.get("admitted_from"),
        admitted_to=data.get("admitted_to"),
    )  # fmt: skip
    result = list_clients(g.user, g.user.centre_id, filters, page=data["page"])
    commit_read()  # the audit "read"
    if filters.code_prefix and len(result.rows) == 1 and result.page == 1:
        return redirect(url_for("web.client", client_id=result.rows[0].client.id))
    args = {k: v for k, v in raw.items() if k != "page"}
    return render_template("web/clients.html", form=form, result=result, hiv=HIV_STATUS, args=args)


@blueprint.route("/clients/<int:client_id>/print")
@roles(CLINIC_STAFF)
def print_card(client_id: int) -> Any:
    """The client card for printing: code, programmes, current dose, tests, admissions."""
    records = listings.client_records(g.user, client_id, g.user.centre_id)
    if records is None:
        db.session.rollback()
        abort(404)
    doses = listings.current_doses(records.enrolments)
    page = render_template("web/print_card.html", records=records, doses=doses, today=date.today())
    commit_read()
    return page


@blueprint.route("/clients/export.csv")
@roles(CLINIC_STAFF)
def export_csv() -> Any:
    """The centre's episodes as CSV (UTF-8 with BOM, so Excel reads Cyrillic)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(centre_episodes(g.user, g.user.centre_id))
    commit_read()  # the audit "read"
    return _download(buffer.getvalue().encode("utf-8"), "text/csv; charset=utf-8", "csv")


@blueprint.route("/clients/export.xlsx")
@roles(CLINIC_STAFF)
def export_xlsx() -> Any:
    """The centre's episodes as an Excel workbook (one sheet)."""
    rows = centre_episodes(g.user, g.user.centre_id)
    body = xlsx_bytes([Sheet("episodes", EXPORT_COLUMNS, rows)])
    commit_read()
    return _download(body, XLSX_MIMETYPE, "xlsx")


def _download(body: bytes, mimetype: str, extension: str) -> Response:
    name = f"{g.user.centre.code}-episodes.{extension}"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
