"""What a list reference holds: the registry's own lists and uploaded lists, as codes.

Public interface (also importable from :mod:`registry.services.linkage`)::

    REGISTRY_LISTS      # {"registry:treatment_entrants": label, "registry:registrations",
                        #  "registry:ost", "registry:hiv_tested", "registry:prison"}
    list_codes(ref: str, *, start: date, end: date, area: OrgUnit) -> dict[str, int]
    hiv_tests_by_year(first_year: int, end: date, area: OrgUnit) -> list[dict[str, int]]  # PWID
    upload_exists(list_id: int) -> bool
    list_name(ref: str) -> str
    check_upload_size(ref: str, *, minimum: int) -> None   # ServiceError on "lists"

A list reference is ``"registry:<name>"`` (the registry's own clients in the period and
area: treatment entrants = admitted in the period outside prison units; registrations =
an episode at a narcological dispensary open at some time in the period; OST = an
enrolment open at some time in the period; HIV-tested = an HIV test sampled in the
period; prison = admitted to a prison health unit in the period; the centre must lie in
the area) or ``"upload:<id>"`` (an uploaded :class:`~registry.models.SourceList`).

An uploaded list used in linkage or a study must hold at least ``LINKAGE_MIN_LIST_CODES``
distinct codes (:func:`check_upload_size`): a list of one or a few people linked with a
registry list would tell whether those people are clients (docs/disclosure.md). It must
also be ``ready``: a large upload is ``processing`` until the job worker has paired it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from registry.codes import INJECTING_ROUTE, RECENT_INJECTING, REGISTRATION_PROGRAMME
from registry.extensions import db
from registry.models import (
    Client,
    LabTest,
    OrgUnit,
    OstEnrolment,
    SourceList,
    SourceListCode,
    TreatmentCentre,
    TreatmentEpisode,
)
from registry.models.studies import LIST_PROCESSING, LIST_READY
from registry.services.errors import ServiceError

REGISTRY_LISTS = {
    "registry:treatment_entrants": _l("Treatment entrants"),
    "registry:registrations": _l("Narcological registrations"),
    "registry:ost": _l("OST clients"),
    "registry:hiv_tested": _l("HIV-tested clients"),
    "registry:prison": _l("Prison-unit admissions"),
}
PRISON_TYPE = "3"
#: What an uploaded list's state (:attr:`SourceList.state`) is called on pages and in errors.
LIST_STATE_LABELS = {
    LIST_READY: _l("ready"),
    LIST_PROCESSING: _l("still processing"),
    "failed": _l("failed"),
    "cancelled": _l("cancelled"),
}


def _in_area(area: OrgUnit):
    """Centres whose org unit lies in ``area`` (materialised-path prefix)."""
    return (
        select(TreatmentCentre.id)
        .join(OrgUnit, OrgUnit.id == TreatmentCentre.org_unit_id)
        .where(OrgUnit.path.like(area.path + "%"))
    )


def _registry_query(name: str, start: date, end: date, area: OrgUnit):
    centres = _in_area(area)
    # On SQLite a range scan of the (centre, admission) index over most of the table is
    # several times slower than reading the table: "+ 0" keeps SQLite off that index.
    # PostgreSQL's planner chooses by its statistics, so it gets the plain column.
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    episode_centre = TreatmentEpisode.centre_id + 0 if sqlite else TreatmentEpisode.centre_id
    episode = select(Client.code).join(TreatmentEpisode, TreatmentEpisode.client_id == Client.id)
    if name == "treatment_entrants" or name == "prison":
        prison = select(TreatmentCentre.id).where(TreatmentCentre.tdi_centre_type == PRISON_TYPE)
        where = episode_centre.in_(prison)
        return episode.where(
            TreatmentEpisode.admission_date.between(start, end),
            TreatmentEpisode.programme != REGISTRATION_PROGRAMME,  # a registration is no entry
            episode_centre.in_(centres),
            where if name == "prison" else ~where,
        )
    if name == "registrations":
        dispensaries = select(TreatmentCentre.id).where(
            TreatmentCentre.kind == "narcological_dispensary"
        )
        return episode.where(
            TreatmentEpisode.admission_date <= end,
            or_(
                TreatmentEpisode.discharge_date.is_(None), TreatmentEpisode.discharge_date >= start
            ),
            episode_centre.in_(centres),
            episode_centre.in_(dispensaries),
        )
    if name == "ost":
        return (
            select(Client.code)
            .join(OstEnrolment, OstEnrolment.client_id == Client.id)
            .where(
                OstEnrolment.enrolment_date <= end,
                or_(OstEnrolment.exit_date.is_(None), OstEnrolment.exit_date >= start),
                OstEnrolment.centre_id.in_(centres),
            )
        )
    if name == "hiv_tested":
        return (
            select(Client.code)
            .join(LabTest, LabTest.client_id == Client.id)
            .where(
                LabTest.test == "HIV",
                LabTest.sample_date.between(start, end),
                LabTest.centre_id.in_(centres),
            )
        )
    raise ServiceError(_l("Unknown list."), "lists")


def list_codes(ref: str, *, start: date, end: date, area: OrgUnit) -> dict[str, int]:
    """``{code: occurrences}`` of one list (registry: records of the client in the period)."""
    kind, _, name = ref.partition(":")
    if kind == "registry" and ref in REGISTRY_LISTS:
        # Core on the session's connection: no ORM row processing for 10^5-10^6 rows
        rows = db.session.connection().execute(_registry_query(name, start, end, area))
        return dict(Counter(code for (code,) in rows))
    if kind == "upload" and name.isdigit():
        source = db.session.get(SourceList, int(name))
        if source is not None:
            rows = db.session.execute(
                select(SourceListCode.code, SourceListCode.occurrences).where(
                    SourceListCode.list_id == source.id
                )
            )
            return {row[0]: row[1] for row in rows}
    raise ServiceError(_l("Unknown list."), "lists")


def hiv_tests_by_year(first_year: int, end: date, area: OrgUnit) -> list[dict[str, int]]:
    """People who inject drugs tested for HIV, and of them positive, per year at centres in
    ``area``: the UNAIDS indicator "HIV prevalence among people who inject drugs".

    A client tested in a year counts as a person who injects drugs when an admission up to
    the end of that year records route 1 (inject) or injecting in the last 12 months (TDI
    ``2.2``, ``2.3``): the rule of ``HIV_PWID_TESTED`` (docs/indicators.md, docs/tdi.md).
    Clients never recorded as injecting are left out, whatever their test.
    """
    injecting = or_(
        TreatmentEpisode.route == INJECTING_ROUTE,
        TreatmentEpisode.injecting.in_(RECENT_INJECTING),
    )
    first_injecting = (
        select(TreatmentEpisode.client_id, func.min(TreatmentEpisode.admission_date))
        .where(injecting, TreatmentEpisode.admission_date <= end)
        .group_by(TreatmentEpisode.client_id)
    )  # the first admission that records the client as injecting
    since = {row[0]: row[1] for row in db.session.connection().execute(first_injecting)}
    query = (
        select(LabTest.sample_date, LabTest.client_id, LabTest.result)
        .where(LabTest.test == "HIV", LabTest.sample_date.between(date(first_year, 1, 1), end))
        .where(LabTest.centre_id.in_(_in_area(area)))
    )
    tested: dict[int, set[int]] = defaultdict(set)
    positive: dict[int, set[int]] = defaultdict(set)
    for day, client, result in db.session.connection().execute(query):
        first = since.get(client)
        if first is None or first > date(day.year, 12, 31):
            continue
        tested[day.year].add(client)
        if result == "positive":
            positive[day.year].add(client)
    return [
        {"year": year, "tested": len(tested[year]), "positive": len(positive[year])}
        for year in sorted(tested)
    ]


def upload_exists(list_id: int) -> bool:
    """True if an uploaded list ``list_id`` exists."""
    return db.session.get(SourceList, list_id) is not None


def list_name(ref: str) -> str:
    """A short name for a list in model tables: ``ost``, or the upload's source name."""
    kind, _, name = ref.partition(":")
    if kind == "upload":
        source = db.session.get(SourceList, int(name))
        return source.source_name if source is not None else ref
    return name


def check_upload_size(ref: str, *, minimum: int) -> None:
    """Refuse an uploaded list not ready, or with fewer than ``minimum`` distinct codes.

    A list whose job is still pairing it (or failed or was cancelled) is refused first,
    naming its state (field ``lists``).

    Registry lists are not checked: they are the registry's own counts, protected where
    they are published. The message names the list and both numbers, never a code.
    """
    kind, _, name = ref.partition(":")
    if kind != "upload" or not name.isdigit():
        return
    source = db.session.get(SourceList, int(name))
    if source is not None and source.state != LIST_READY:
        raise ServiceError(
            _l(
                "The list “%(name)s” is %(state)s: only a list whose duplicate search has "
                "finished can be used in linkage or a study.",
                name=source.source_name,
                state=LIST_STATE_LABELS[source.state],
            ),
            "lists",
        )
    if source is not None and source.code_count < minimum:
        raise ServiceError(
            _l(
                "The list “%(name)s” has %(count)s distinct codes: a list used in linkage "
                "or a study needs at least %(minimum)s, so that it cannot single out a "
                "person.",
                name=source.source_name,
                count=source.code_count,
                minimum=minimum,
            ),
            "lists",
        )
