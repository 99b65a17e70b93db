"""Linkage: the lists of a study, their capture histories, overlaps and potential duplicates.

Public interface::

    REGISTRY_LISTS      # {"registry:treatment_entrants": label, "registry:registrations",
                        #  "registry:ost", "registry:hiv_tested", "registry:prison"}
    list_codes(ref: str, *, start: date, end: date, area: OrgUnit) -> dict[str, int]
    overlap_report(list_refs, *, period, area_code, strata=None) -> dict  # lists may be empty
    build_histories(list_refs: list[str], *, period: str, area_code: str,
                    strata: str | None = None)
        -> tuple[CaptureHistories | dict[str, CaptureHistories], dict]
    pending_duplicates, review_duplicate, find_duplicate_candidates  # from .duplicates

A list reference is ``"registry:<name>"`` (the registry's own clients in the period and
area: treatment entrants = admitted in the period outside prison units; registrations =
an episode at a narcological dispensary open at some time in the period; OST = an
enrolment open at some time in the period; HIV-tested = an HIV test sampled in the
period; prison = admitted to a prison health unit in the period; the centre must lie in
the area) or ``"upload:<id>"`` (an uploaded :class:`~registry.models.SourceList`).

The report returned by :func:`build_histories` holds only counts and codes' numbers::

    {"lists": [{"ref": "registry:ost", "name": "ost", "count": 120}, ...],
     "pairwise": [{"a": "ost", "b": "police", "overlap": 31}, ...],
     "observed": 480, "registered": 300, "histories": {"110": 12, "101": 5, ...},
     "merged_duplicates": 2, "pending_duplicates": 1,
     "strata": {"F": {"observed": ..., "histories": {...}}, ...}   # with strata only}

``histories`` keys are 0/1 strings in the order of ``lists``. Accepted duplicate pairs
are merged (``code_b`` counted as ``code_a``) before the histories are built.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from datetime import date
from itertools import combinations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from estimation.capture_recapture import CaptureHistories
from registry.codes import REGISTRATION_PROGRAMME
from registry.extensions import db
from registry.models import (
    Client,
    DuplicateCandidate,
    LabTest,
    OrgUnit,
    OstEnrolment,
    SourceList,
    SourceListCode,
    TreatmentCentre,
    TreatmentEpisode,
)
from registry.models.studies import ACCEPTED
from registry.services.duplicates import (
    find_duplicate_candidates,
    pending_duplicates,
    review_duplicate,
)
from registry.services.errors import ServiceError
from registry.services.periods import find_area, parse_period

REGISTRY_LISTS = {
    "registry:treatment_entrants": _l("Treatment entrants"),
    "registry:registrations": _l("Narcological registrations"),
    "registry:ost": _l("OST clients"),
    "registry:hiv_tested": _l("HIV-tested clients"),
    "registry:prison": _l("Prison-unit admissions"),
}
PRISON_TYPE = "3"
STRATA = ("sex",)


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
    """Clients tested for HIV, and of them positive, per year at centres in ``area``."""
    query = (
        select(LabTest.sample_date, LabTest.client_id, LabTest.result)
        .where(LabTest.test == "HIV", LabTest.sample_date.between(date(first_year, 1, 1), end))
        .where(LabTest.centre_id.in_(_in_area(area)))
    )
    tested: dict[int, set[int]] = defaultdict(set)
    positive: dict[int, set[int]] = defaultdict(set)
    for day, client, result in db.session.connection().execute(query):
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


def accepted_merges() -> dict[str, str]:
    """``{code_b: code_a}`` of every accepted duplicate pair."""
    rows = db.session.execute(
        select(DuplicateCandidate.code_b, DuplicateCandidate.code_a).where(
            DuplicateCandidate.decision == ACCEPTED
        )
    )
    return {row[0]: row[1] for row in rows}


def _sexes(codes: set[str], list_ids: list[int]) -> dict[str, str]:
    """Sex of each code: from the registry, else from an identifier upload."""
    sexes: dict[str, str] = {}
    if list_ids:
        rows = db.session.execute(
            select(SourceListCode.code, SourceListCode.sex).where(
                SourceListCode.list_id.in_(list_ids), SourceListCode.sex.is_not(None)
            )
        )
        sexes.update((row[0], row[1]) for row in rows)
    rows = db.session.execute(select(Client.code, Client.sex))
    sexes.update((code, sex) for code, sex in rows if code in codes)
    return sexes


def digest(codes: set[str]) -> str:
    """SHA-256 of a list's sorted codes: what the result's input hash is made of."""
    return hashlib.sha256("\n".join(sorted(codes)).encode()).hexdigest()


def _frequencies(masks: dict[str, int], k: int) -> dict[str, int]:
    counts = Counter(masks.values())
    return {format(mask, f"0{k}b"): number for mask, number in sorted(counts.items())}


def overlap_report(
    list_refs: list[str], *, period: str, area_code: str, strata: str | None = None
) -> dict:
    """The report of :func:`build_histories` alone (lists may be empty)."""
    return _link(list_refs, period=period, area_code=area_code, strata=strata)[1]


def build_histories(
    list_refs: list[str], *, period: str, area_code: str, strata: str | None = None
) -> tuple[CaptureHistories | dict[str, CaptureHistories], dict]:
    """Link the lists by code and return their capture histories with an overlap report.

    With ``strata="sex"`` the first value is ``{"F": histories, "M": histories}`` (codes
    of unknown sex are left out of the strata and counted in the report). A list that
    holds nobody in the period and area raises :class:`ServiceError` on ``lists``.
    """
    names, report = _link(list_refs, period=period, area_code=area_code, strata=strata)
    try:
        if strata is None:
            return CaptureHistories.from_frequencies(names, report["histories"]), report
        stratified = {
            value: CaptureHistories.from_frequencies(names, entry["histories"])
            for value, entry in report["strata"].items()
        }
    except ValueError:
        raise ServiceError(
            _l("A chosen list has nobody in this period and area."), "lists"
        ) from None
    return stratified, report


def _link(
    list_refs: list[str], *, period: str, area_code: str, strata: str | None
) -> tuple[list[str], dict]:
    refs = list(dict.fromkeys(list_refs))
    if len(refs) < 2:
        raise ServiceError(_l("Choose at least two lists."), "lists")
    if strata is not None and strata not in STRATA:
        raise ServiceError(_l("Unknown stratifying variable."), "strata")
    start, end = parse_period(period)
    area = find_area(area_code)
    merges = accepted_merges()
    names: list[str] = []
    members: list[set[str]] = []
    for ref in refs:
        codes = {
            merges.get(code, code) for code in list_codes(ref, start=start, end=end, area=area)
        }
        name = list_name(ref)
        names.append(name if name not in names else f"{name}-{len(names) + 1}")
        members.append(codes)
    k = len(refs)
    masks: dict[str, int] = defaultdict(int)
    for position, codes in enumerate(members):
        bit = 1 << (k - 1 - position)
        for code in codes:
            masks[code] |= bit
    frequencies = _frequencies(masks, k)
    upload_ids = [int(r.partition(":")[2]) for r in refs if r.startswith("upload:")]
    registry_bits = sum(1 << (k - 1 - i) for i, r in enumerate(refs) if r.startswith("registry:"))
    report: dict = {
        "lists": [
            {"ref": ref, "name": name, "count": len(codes), "digest": digest(codes)}
            for ref, name, codes in zip(refs, names, members, strict=True)
        ],
        "pairwise": [
            {"a": names[i], "b": names[j], "overlap": len(members[i] & members[j])}
            for i, j in combinations(range(k), 2)
        ],
        "observed": len(masks),
        "registered": sum(1 for mask in masks.values() if mask & registry_bits),
        "histories": frequencies,
        "merged_duplicates": len(merges),
        "pending_duplicates": len(pending_duplicates(upload_ids)),
    }
    if strata is None:
        return names, report
    sexes = _sexes(set(masks), upload_ids)
    by_stratum: dict[str, dict[str, int]] = defaultdict(dict)
    for code, mask in masks.items():
        if code in sexes:
            by_stratum[sexes[code]][code] = mask
    report["strata"] = {
        value: {"observed": len(m), "histories": _frequencies(m, k)}
        for value, m in sorted(by_stratum.items())
    }
    report["unknown_stratum"] = len(masks) - sum(len(m) for m in by_stratum.values())
    return names, report


__all__ = [
    "REGISTRY_LISTS",
    "accepted_merges",
    "build_histories",
    "digest",
    "find_duplicate_candidates",
    "list_codes",
    "list_name",
    "overlap_report",
    "pending_duplicates",
    "review_duplicate",
    "upload_exists",
]
