"""The centre's client list: filters, paging and lookup by the first characters of the code.

Public interface::

    ClientFilters(code_prefix=None, open_episode=False, programme=None, on_ost=False,
                  hiv=None, admitted_from=None, admitted_to=None)
    list_clients(actor: User, centre_id: int, filters: ClientFilters, *, page: int = 1,
                 per_page: int | None = None) -> ClientPage
    export_rows(actor: User, centre_id: int) -> tuple[list[str], list[tuple]]

A client is on the centre's list when the centre holds at least one treatment episode of
them; the episode filters (open, programme, admitted in a period) select the clients with
at least one episode matching all three. ``on_ost`` and ``hiv`` look at the centre's OST
enrolments and HIV tests. Only the centre's own records are read (deny by default through
:func:`registry.services.access.ensure_centre_access`), and every page or export is
audited as one ``read`` event naming the list and the number of rows.

Paging is by offset over an order that is total (latest admission, then client id), so a
page never repeats or skips a client while nothing is admitted; one row more than the
page is read to know whether a next page exists, so no count of the whole list is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select

from registry.extensions import db
from registry.models import Client, LabTest, OstEnrolment, TreatmentEpisode, User
from registry.services.access import ensure_centre_access
from registry.services.audit import record_event

PER_PAGE = 50


@dataclass(frozen=True)
class ClientFilters:
    """What the registrar asked for (every filter optional)."""

    code_prefix: str | None = None
    open_episode: bool = False
    programme: str | None = None
    on_ost: bool = False
    hiv: str | None = None  # "known" | "unknown" | None
    admitted_from: date | None = None
    admitted_to: date | None = None

    def audit_note(self) -> str:
        """The filters as codes for the audit trail (the prefix length only, not the code)."""
        parts = [
            f"prefix={len(self.code_prefix)}" if self.code_prefix else "",
            "open=1" if self.open_episode else "",
            f"programme={self.programme}" if self.programme else "",
            "ost=1" if self.on_ost else "",
            f"hiv={self.hiv}" if self.hiv else "",
            f"from={self.admitted_from.isoformat()}" if self.admitted_from else "",
            f"to={self.admitted_to.isoformat()}" if self.admitted_to else "",
        ]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class ClientRow:
    """One client of the list: the latest admission here and what is open."""

    client: Client
    last_admitted: date
    open_episodes: int
    on_ost: bool


@dataclass(frozen=True)
class ClientPage:
    """One page of the list."""

    rows: list[ClientRow]
    page: int
    per_page: int
    has_next: bool


def _ost_clients(centre_id: int) -> Any:
    """Ids of the clients on OST at the centre now (one subquery, not one per episode)."""
    return select(OstEnrolment.client_id).where(
        OstEnrolment.centre_id == centre_id, OstEnrolment.exit_date.is_(None)
    )


def _hiv_tested_clients(centre_id: int) -> Any:
    """Ids of the clients with an HIV test recorded at the centre."""
    return select(LabTest.client_id).where(LabTest.centre_id == centre_id, LabTest.test == "HIV")


def _code_prefixed(prefix: str) -> Any:
    """Ids of the clients whose code starts with ``prefix`` (lower-case hex).

    A range on the unique index of ``code`` (every code of the prefix sorts between the
    prefix and the prefix followed by "g", which is above every hex digit); ``LIKE``
    would not use the index on SQLite, where it ignores case.
    """
    return select(Client.id).where(Client.code >= prefix, Client.code < prefix + "g")


def _matching(centre_id: int, filters: ClientFilters) -> Any:
    """Per client with a matching episode here: latest admission and open episodes."""
    episode = TreatmentEpisode
    conditions = [episode.centre_id == centre_id]
    if filters.open_episode:
        conditions.append(episode.discharge_date.is_(None))
    if filters.programme:
        conditions.append(episode.programme == filters.programme)
    if filters.admitted_from:
        conditions.append(episode.admission_date >= filters.admitted_from)
    if filters.admitted_to:
        conditions.append(episode.admission_date <= filters.admitted_to)
    if filters.code_prefix:
        conditions.append(episode.client_id.in_(_code_prefixed(filters.code_prefix)))
    if filters.on_ost:
        conditions.append(episode.client_id.in_(_ost_clients(centre_id)))
    if filters.hiv == "known":
        conditions.append(episode.client_id.in_(_hiv_tested_clients(centre_id)))
    elif filters.hiv == "unknown":
        conditions.append(episode.client_id.not_in(_hiv_tested_clients(centre_id)))
    open_count = func.sum(case((episode.discharge_date.is_(None), 1), else_=0))
    return (
        select(
            episode.client_id,
            func.max(episode.admission_date).label("last_admitted"),
            open_count.label("open_episodes"),
        )
        .where(and_(*conditions))
        .group_by(episode.client_id)
        .subquery()
    )


def list_clients(
    actor: User,
    centre_id: int,
    filters: ClientFilters,
    *,
    page: int = 1,
    per_page: int | None = None,
) -> ClientPage:
    """Page ``page`` (from 1) of the centre's clients matching ``filters``, latest first.

    ``per_page`` defaults to :data:`PER_PAGE`.
    """
    ensure_centre_access(actor, centre_id)
    per_page = per_page or PER_PAGE
    matching = _matching(centre_id, filters)
    found = db.session.execute(
        select(matching.c.client_id, matching.c.last_admitted, matching.c.open_episodes)
        .order_by(matching.c.last_admitted.desc(), matching.c.client_id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    has_next = len(found) > per_page
    found = found[:per_page]
    ids = [row.client_id for row in found]
    clients = {c.id: c for c in db.session.scalars(select(Client).where(Client.id.in_(ids)))}
    on_ost = set(
        db.session.scalars(
            select(OstEnrolment.client_id).where(
                OstEnrolment.client_id.in_(ids),
                OstEnrolment.centre_id == centre_id,
                OstEnrolment.exit_date.is_(None),
            )
        )
    )
    rows = [
        ClientRow(
            clients[r.client_id], r.last_admitted, int(r.open_episodes), r.client_id in on_ost
        )
        for r in found
    ]
    note = f"list=clients page={page} n={len(rows)} {filters.audit_note()}".strip()
    record_event(actor, "read", "client", None, centre_id=centre_id, detail=note)
    return ClientPage(rows, page, per_page, has_next)
