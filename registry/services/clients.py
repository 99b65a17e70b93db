"""Finding and creating clients from identifiers typed at the desk.

Public interface::

    find_client(ids: ClientIdentifiers, *, actor: User) -> Client | None
    find_or_create_client(ids: ClientIdentifiers, *, region: OrgUnit | None,
                          actor: User) -> tuple[Client, bool]     # (client, created)
    get_client(client_id: int, *, actor: User) -> Client | None
    resolve_region(code: str, *, field: str = "region_code") -> OrgUnit
    latest_region_change(client_id: int) -> RegionChange | None   # from the audit trail
    code_for(ids: ClientIdentifiers) -> str         # HMAC with the app's LINKAGE_KEY
    registered_code(ids: ClientIdentifiers) -> str  # the code the person is registered under

Only admins and clinic staff may look clients up (:class:`AccessDenied` otherwise).
A found client is audited as ``read``, a new one as ``create``. The identifiers are used
to compute the code and then dropped: only the code, sex, birth year and region are kept.
A client coded before doubled letters were folded keeps that code (code version 1):
lookups try it first (:func:`registered_code`, docs/client-codes.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from registry.extensions import db
from registry.models import AuditEvent, Client, OrgUnit, User
from registry.models.geography import DISTRICT, REGION
from registry.services.access import ensure_clinic_forms
from registry.services.audit import WITHOUT_WAITING_EVENTS, record_event
from registry.services.client_codes import ClientIdentifiers, client_code, client_codes
from registry.services.errors import ServiceError


def code_for(ids: ClientIdentifiers) -> str:
    """The client code of ``ids`` under the application's ``LINKAGE_KEY``."""
    return client_code(ids, current_app.config["LINKAGE_KEY"])


def registered_code(ids: ClientIdentifiers) -> str:
    """The code ``ids`` are registered under: the version-1 code if a client holds it (a
    client coded before doubled letters were folded), else the current code."""
    current, *legacy = client_codes(ids, current_app.config["LINKAGE_KEY"])
    if legacy and db.session.scalar(select(Client.id).where(Client.code == legacy[0])):
        return legacy[0]
    return current


def client_by_code(code: str) -> Client | None:
    """The client with this code, or ``None`` (no access check, no audit: internal)."""
    return db.session.scalar(select(Client).where(Client.code == code))


@dataclass(frozen=True)
class RegionChange:
    """The client's latest move: from ``previous`` (``None`` if unknown), with the
    admission of ``day`` (the day it was recorded, for moves audited before that)."""

    previous: OrgUnit | None
    day: date


def latest_region_change(client_id: int) -> RegionChange | None:
    """The latest change of the client's region by an admission (audited ``region=...``).

    Read from the audit trail, which records each move with the codes of both regions.
    Such "update" rows are written with the move, so the page's waiting "read" rows need
    not be written first (that would hold SQLite's write lock through the page).
    """
    event = db.session.scalar(
        select(AuditEvent)
        .execution_options(**{WITHOUT_WAITING_EVENTS: True})
        .where(
            AuditEvent.entity == "client",
            AuditEvent.entity_id == client_id,
            AuditEvent.action == "update",
            AuditEvent.detail.like("region=%"),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return None
    parts = dict(part.split("=", 1) for part in (event.detail or "").split() if "=" in part)
    old = parts.get("from")
    previous = db.session.scalar(select(OrgUnit).where(OrgUnit.code == old)) if old else None
    admitted = parts.get("admitted")
    return RegionChange(previous, date.fromisoformat(admitted) if admitted else event.at.date())


def resolve_region(code: str, *, field: str = "region_code") -> OrgUnit:
    """The region or district with ``code``; :class:`ServiceError` on ``field`` if none."""
    unit = db.session.scalar(
        select(OrgUnit).where(OrgUnit.code == code, OrgUnit.level.in_((REGION, DISTRICT)))
    )
    if unit is None:
        raise ServiceError(_l("Choose a region from the list."), field)
    return unit


def find_client(ids: ClientIdentifiers, *, actor: User) -> Client | None:
    """The client these identifiers belong to, or ``None``; audits a ``read`` if found."""
    ensure_clinic_forms(actor)
    client = client_by_code(registered_code(ids))
    if client is not None:
        record_event(actor, "read", "client", client.id, detail="lookup")
    return client


def find_or_create_client(
    ids: ClientIdentifiers, *, region: OrgUnit | None, actor: User
) -> tuple[Client, bool]:
    """The existing client for ``ids`` (audited ``read``) or a new one (``create``)."""
    ensure_clinic_forms(actor)
    return _find_or_create(registered_code(ids), ids, region, actor)


def _find_or_create(
    code: str, ids: ClientIdentifiers, region: OrgUnit | None, actor: User
) -> tuple[Client, bool]:
    """Shared by :func:`find_or_create_client` and admissions (access already checked).

    Two desks saving the same new person at the same moment both find no client; the
    insert skips a code that another transaction has just added (``ON CONFLICT DO
    NOTHING`` waits for that transaction), and the second desk gets the same client.
    """
    client = client_by_code(code)
    created = client is None and _insert_client(code, ids, region)
    if not created:
        client = client or client_by_code(code)
        record_event(actor, "read", "client", client.id, detail="lookup")
        return client, False
    client = client_by_code(code)
    record_event(actor, "create", "client", client.id)
    return client, True


def _insert_client(code: str, ids: ClientIdentifiers, region: OrgUnit | None) -> bool:
    """Insert the client unless its code exists (also if just committed elsewhere)."""
    insert = (
        postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    values = {
        "code": code,
        "sex": ids.sex,
        "birth_year": ids.birth_date.year,
        "region_id": region.id if region is not None else None,
    }
    statement = (
        insert(Client.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["code"])
        .returning(Client.id)
    )
    return db.session.execute(statement).scalar_one_or_none() is not None


def get_client(client_id: int, *, actor: User) -> Client | None:
    """The client with this id (audited ``read``), or ``None``.

    Clients are shared by all centres (one code per person); what a clinic user may see
    of a client's records is limited by the centre checks of the episode, OST and lab
    services and listings.
    """
    ensure_clinic_forms(actor)
    client = db.session.get(Client, client_id)
    if client is not None:
        record_event(actor, "read", "client", client.id)
    return client
