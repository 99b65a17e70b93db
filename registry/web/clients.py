"""Finding a client by identifiers, and admitting a client (who is found or created).

Identifiers (names, date of birth) are posted, turned into the client code by the
services, and never sent back: after a failed submission their inputs are empty, and
no page, redirect or log line repeats them. Lookups are POSTs so they never appear in a
URL or an access log.

An admission refused because the client already has an open episode of the programme
here (typically: another desk saved the same new person a moment ago) names that client
by code, with a link to their page, so nothing needs typing again to find them.

An admission whose identifiers match no client but are one spelling edit away from
clients of this centre (:mod:`registry.services.near_clients`) is not saved: the form
lists those clients by code and asks whether this is one of them or a new person.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from marshmallow import ValidationError

from registry.auth.roles import roles
from registry.extensions import db
from registry.models import Client
from registry.models.users import CLINIC_STAFF
from registry.schemas import AdmissionSchema, ClientLookupSchema
from registry.services import listings
from registry.services.audit import commit_read
from registry.services.clients import find_client as lookup_client
from registry.services.clients import get_client, latest_region_change
from registry.services.episodes import admission_problems, admit_client
from registry.services.errors import (
    ClientAlreadyAdmittedError,
    NearClientsError,
    ServiceError,
    each_error,
)
from registry.web import blueprint, current_locale_name, region_name
from registry.web.forms import FormState, errors_state, load_form
from registry.web.labels import IDENTIFIER_FIELDS


@blueprint.route("/clients/find", methods=["GET", "POST"])
@roles(CLINIC_STAFF)
def find_client() -> Any:
    """Re-enter a client's identifiers to open their records at this centre."""
    form = FormState(hidden=IDENTIFIER_FIELDS)
    not_found = False
    if request.method == "POST":
        data, form = load_form(ClientLookupSchema(), request.form, hidden=IDENTIFIER_FIELDS)
        if data is not None:
            found = lookup_client(data.pop("identifiers"), actor=g.user)
            if found is not None and listings.has_records_at(found.id, g.user.centre_id):
                db.session.commit()
                return redirect(url_for("web.client", client_id=found.id))
            commit_read()  # the lookup's audit event
            not_found = True
    page = render_template("web/find_client.html", form=form, not_found=not_found)
    return page, 422 if form.errors else 200


@blueprint.route("/admissions/new", methods=["GET", "POST"])
@roles(CLINIC_STAFF)
def new_admission() -> Any:
    """The TDI admission form; the client is found by identifiers or created."""
    regions = listings.region_choices(current_locale_name())
    form = FormState(hidden=IDENTIFIER_FIELDS)
    near: list[Client] = []
    if request.method == "POST":
        data, form = load_form(AdmissionSchema(), request.form, hidden=IDENTIFIER_FIELDS)
        if data is None:  # the rules on the valid fields too: every error at once
            problems = admission_problems(form.valid, g.user.centre)
            form.valid = {}
            db.session.rollback()
            form.add_rule_errors(problems)
            near = explain_problems(form, problems)
        else:
            try:
                episode = admit_client(data, actor=g.user, centre=g.user.centre)
            except (ValidationError, ServiceError) as error:
                db.session.rollback()
                form = errors_state(error, form.values, hidden=IDENTIFIER_FIELDS)
                near = explain_problems(form, each_error(error))
            else:
                client_id = episode.client_id
                moved_from = episode.region_moved_from
                db.session.commit()
                flash(_("The admission was saved."), "info")
                if moved_from is not None:
                    flash(region_moved_message(moved_from, data["region_code"]), "warning")
                return redirect(url_for("web.client", client_id=client_id))
        commit_read()  # only the audited "read" of a client named in a message
    status = 422 if form.errors else 200
    page = render_template("web/admission.html", form=form, regions=regions, near=near)
    return page, status


def explain_problems(form: FormState, problems: list[Any]) -> list[Client]:
    """Name the client of an open episode (a link: nothing to type again) and return the
    near clients to choose from, if the problems hold those questions."""
    near: list[Client] = []
    for problem in problems:
        if isinstance(problem, NearClientsError):
            near = problem.clients
        elif isinstance(problem, ClientAlreadyAdmittedError):
            client = get_client(problem.client_id, actor=g.user)  # audited "read"
            form.errors["programme"] = [str(problem.message)]
            form.errors["_schema"] = [link_to_client(client)]
    return near


def region_moved_message(previous: Any, region_code: str) -> str:
    """The confirmation's notice that the client's region follows this admission."""
    region = listings.region_choices(current_locale_name()).get(region_code, region_code)
    return _(
        "The client's region changed from %(old)s to %(new)s: a client belongs to the region "
        "of residence stated at their latest admission.",
        old=region_name(previous),
        new=region,
    )


@blueprint.app_template_global()
def region_change(client_id: int) -> Any:
    """The client's latest move between regions (for the client page), or ``None``."""
    return latest_region_change(client_id)


def link_to_client(client: Client) -> Markup:
    """A form message naming ``client`` by the start of their code, linked to their page."""
    link = Markup('<a class="code" href="{}">{}</a>').format(
        url_for("web.client", client_id=client.id), client.code[:8]
    )
    # escape() gives Markup, whose % escapes the arguments that are not Markup already
    return escape(_("Client %(client)s: open their page to see the open episode.")) % {
        "client": link
    }
