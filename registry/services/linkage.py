"""Linkage: the lists of a study, their capture histories, overlaps and potential duplicates.

Public interface::

    overlap_report(list_refs, *, period, area_code, strata=None, threshold) -> dict
        # the report as it may leave the server: small counts withheld (None)
    build_histories(list_refs: list[str], *, period: str, area_code: str,
                    strata: str | None = None, minimum: int = 0)
        -> tuple[CaptureHistories | dict[str, CaptureHistories], dict]   # exact counts
    accepted_merges() -> dict[str, str]
    digest(codes: set[str]) -> str
    REGISTRY_LISTS, list_codes, list_name, upload_exists, hiv_tests_by_year,
    check_upload_size                                        # from .source_lists
    pending_duplicates, review_duplicate, find_duplicate_candidates  # from .duplicates

List references are described in :mod:`registry.services.source_lists`. Every uploaded
list must hold at least ``minimum`` distinct codes (the ``LINKAGE_MIN_LIST_CODES``
setting), else :class:`ServiceError` on ``lists`` names it.

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
from itertools import combinations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from estimation.capture_recapture import CaptureHistories
from registry.codes import SEX_NOT_KNOWN
from registry.extensions import db
from registry.models import Client, DuplicateCandidate, SourceListCode
from registry.models.studies import ACCEPTED
from registry.services.duplicates import (
    find_duplicate_candidates,
    pending_duplicates,
    review_duplicate,
)
from registry.services.errors import ServiceError
from registry.services.linkage_disclosure import protect_report
from registry.services.periods import find_area, parse_period
from registry.services.source_lists import (
    REGISTRY_LISTS,
    check_upload_size,
    hiv_tests_by_year,
    list_codes,
    list_name,
    upload_exists,
)

STRATA = ("sex",)


def accepted_merges() -> dict[str, str]:
    """``{code_b: code_a}`` of every accepted duplicate pair."""
    rows = db.session.execute(
        select(DuplicateCandidate.code_b, DuplicateCandidate.code_a).where(
            DuplicateCandidate.decision == ACCEPTED
        )
    )
    return {row[0]: row[1] for row in rows}


def _sexes(codes: set[str], list_ids: list[int]) -> dict[str, str]:
    """Sex of each code: from the registry, else from an identifier upload (a registry
    sex "not known", ``U``, is no sex: the upload's is kept, or the code has none)."""
    sexes: dict[str, str] = {}
    if list_ids:
        rows = db.session.execute(
            select(SourceListCode.code, SourceListCode.sex).where(
                SourceListCode.list_id.in_(list_ids), SourceListCode.sex.is_not(None)
            )
        )
        sexes.update((row[0], row[1]) for row in rows)
    rows = db.session.execute(select(Client.code, Client.sex))
    sexes.update((code, sex) for code, sex in rows if code in codes and sex != SEX_NOT_KNOWN)
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
    """The report of :func:`build_histories` as it may leave the server (lists may be empty).

    Counts from 1 to ``SUPPRESSION_THRESHOLD - 1`` are withheld (``None``) with the
    complementary cells that would give them away (:mod:`registry.services.linkage_disclosure`).
    """
    report = _link(list_refs, period=period, area_code=area_code, strata=strata)[1]
    return protect_report(report, threshold=current_app.config["SUPPRESSION_THRESHOLD"])


def build_histories(
    list_refs: list[str], *, period: str, area_code: str, strata: str | None = None
) -> tuple[CaptureHistories | dict[str, CaptureHistories], dict]:
    """Link the lists by code and return their capture histories with an overlap report.

    Both hold exact counts, for the estimation inside the server: what leaves it goes
    through :func:`registry.services.linkage_disclosure.protect_report` first. With
    ``strata="sex"`` the first value is ``{"F": histories, "M": histories}`` (codes of
    unknown sex are left out of the strata and counted in the report). A list that holds
    nobody in the period and area raises :class:`ServiceError` on ``lists``.
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
    minimum = current_app.config["LINKAGE_MIN_LIST_CODES"]
    for ref in refs:
        check_upload_size(ref, minimum=minimum)
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
    "check_upload_size",
    "digest",
    "find_duplicate_candidates",
    "hiv_tests_by_year",
    "list_codes",
    "list_name",
    "overlap_report",
    "pending_duplicates",
    "review_duplicate",
    "upload_exists",
]
