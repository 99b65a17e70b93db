"""Potential duplicates: codes of near-identical identifiers, for review before a study.

Public interface (also importable from :mod:`registry.services.linkage`)::

    pending_duplicates(list_ids: list[int] | None = None) -> list[DuplicateCandidate]
    review_duplicate(candidate: DuplicateCandidate, decision: str, *, actor: User) -> None
    find_duplicate_candidates(source: SourceList, keys: dict[str, str], *, key: str) -> int
    upload_pairs(slks: Iterable[str]) -> dict[tuple[str, str], str]   # the blocking search
    registry_pairs(keys: dict[str, str], *, key: str) -> dict[tuple[str, str], str]
    store_pairs(list_id: int, pairs: dict[tuple[str, str], tuple[str, str]]) -> None

Pairs are found while an identifier upload is in memory (the registry keeps no
identifiers, so pairs of registry clients alone cannot be found afterwards). An accepted
pair is merged by linkage (``code_b`` counted as ``code_a``); a rejected one is kept so
it is not asked again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db
from registry.models import Client, DuplicateCandidate, SourceList, User
from registry.models.base import utcnow
from registry.models.studies import ACCEPTED, PENDING, REJECTED
from registry.services import audit
from registry.services.bulk import insert_rows
from registry.services.client_codes import keyed_hasher
from registry.services.errors import ServiceError

#: Identifier uploads larger than this skip the variant-code search against the registry.
VARIANT_LIMIT = 50_000
#: The letters a normalised name can hold: the folds leave no Q, W, X or Y
#: (:data:`registry.services.client_codes.LATIN_FOLDS`), so no registry code has them.
_LETTERS = "ABCDEFGHIJKLMNOPRSTUVZ"


def pending_duplicates(list_ids: list[int] | None = None) -> list[DuplicateCandidate]:
    """Pending duplicate pairs (of the given uploads, or all), oldest first."""
    query = select(DuplicateCandidate).where(DuplicateCandidate.decision == PENDING)
    if list_ids is not None:
        query = query.where(DuplicateCandidate.list_id.in_(list_ids))
    return list(db.session.scalars(query.order_by(DuplicateCandidate.id)))


def review_duplicate(candidate: DuplicateCandidate, decision: str, *, actor: User) -> None:
    """Accept (same person: merged in linkage) or reject a duplicate pair; audited."""
    if decision not in (ACCEPTED, REJECTED):
        raise ServiceError(_l("Choose accept or reject."), "decision")
    candidate.decision = decision
    candidate.decided_by_id = actor.id
    candidate.decided_at = utcnow()
    audit.record_event(actor, "update", "duplicate_candidate", candidate.id, detail=decision)


def _reason(position: int) -> str:
    return "family_name" if position < 3 else "given_name"


def upload_pairs(slks: Iterable[str]) -> dict[tuple[str, str], str]:
    """``{(slk_a, slk_b): reason}`` of the SLK keys that differ in exactly one letter.

    Blocking on deletion keys: a key goes into five blocks, one per letter position, keyed
    by the position and the key without that letter (the date of birth and sex stay in
    it). Two distinct keys share a block exactly when they differ at that one position
    only, so every pair within a block is a pair, and no pair is missed. A block holds at
    most one key per character a position can take (26 letters and the fillers), so the
    candidate pairs are bounded by ``5 * n * 27 / 2`` whatever the dates of birth: the
    search is linear in the upload, where comparing all keys of one date of birth was
    quadratic (issue 12: 8,000 rows of one date timed out).
    """
    first: dict[str, str] = {}  # block -> its first key; most blocks hold one key
    shared: dict[str, list[str]] = defaultdict(list)
    for slk in slks:
        for position in range(5):
            block = slk[:position] + "*" + slk[position + 1 :]  # "*" marks the position
            if block in first:
                shared[block].append(slk)
            else:
                first[block] = slk
    pairs: dict[tuple[str, str], str] = {}
    for block, others in shared.items():
        reason = _reason(block.index("*"))
        for a, b in combinations(sorted([first[block], *others]), 2):
            pairs[(a, b)] = reason
    return pairs


def registry_pairs(keys: dict[str, str], *, key: str) -> dict[tuple[str, str], str]:
    """``{(code_a, code_b): reason}`` of upload codes and registry clients' codes one letter apart.

    Registry clients' identifiers are not kept, so every one-letter variant of each upload
    key is coded and looked up among the codes of registry clients of that birth year and
    sex (about 100 keyed hashes a key: the costly part of an upload). Keys whose birth
    year and sex no registry client has are skipped.
    """
    sexes = {"1": "M", "2": "F"}
    years = {int(slk[9:13]) for slk in keys}
    rows = db.session.execute(
        select(Client.code, Client.birth_year, Client.sex).where(Client.birth_year.in_(years))
    )
    registry: dict[bytes, str] = {}
    present = set()
    for code, year, sex in rows:
        present.add((year, sex))
        registry[bytes.fromhex(code)] = code
    digest = keyed_hasher(key)
    pairs: dict[tuple[str, str], str] = {}
    for slk, code in keys.items():
        if (int(slk[9:13]), sexes.get(slk[13])) not in present:
            continue
        for position in range(5):
            current = slk[position]
            if not current.isalpha():
                continue
            head, tail = slk[:position], slk[position + 1 :]
            for letter in _LETTERS:
                if letter == current:
                    continue
                other = registry.get(digest(f"{head}{letter}{tail}".encode()))
                if other is not None and other != code:
                    a, b = sorted((code, other))
                    pairs.setdefault((a, b), _reason(position))
    return pairs


def find_duplicate_candidates(source: SourceList, keys: dict[str, str], *, key: str) -> int:
    """Add pending pairs for codes of near-identical identifiers; return how many.

    ``keys`` maps each SLK-581 key of the upload to its code (memory only). Two SLK keys
    with the same date of birth and sex whose five letters differ in one place are a
    pair (``scope="upload"``); so is an SLK whose one-letter variant's code belongs to a
    registry client of that sex and birth year (``scope="registry"``).
    """
    pairs: dict[tuple[str, str], tuple[str, str]] = {}
    for (a, b), reason in upload_pairs(keys).items():
        pair = tuple(sorted((keys[a], keys[b])))
        pairs[pair] = ("upload", reason)  # type: ignore[index]
    if len(keys) <= VARIANT_LIMIT:
        for pair, reason in registry_pairs(keys, key=key).items():
            pairs.setdefault(pair, ("registry", reason))
    store_pairs(source.id, pairs)
    return len(pairs)


def store_pairs(list_id: int, pairs: dict[tuple[str, str], tuple[str, str]]) -> None:
    """Add ``{(code_a, code_b): (scope, reason)}`` as pending pairs of list ``list_id``."""
    now = utcnow()  # one executemany: ORM objects one by one took minutes for 10^5 pairs
    insert_rows(
        DuplicateCandidate.__table__,
        ("list_id", "code_a", "code_b", "scope", "reason", "decision", "created_at"),
        [(list_id, a, b, scope, reason, PENDING, now)
         for (a, b), (scope, reason) in sorted(pairs.items())],
    )  # fmt: skip
