"""Near spellings at admission: clients of this centre one edit away from the typed names.

Public interface::

    near_codes(ids: ClientIdentifiers, key: str) -> set[str]   # codes of near spellings
    near_clients(ids: ClientIdentifiers, *, centre_id: int, own_code: str) -> list[Client]
    record_near_decision(actor, centre_id, client_id, candidates, decision) -> None
    MAX_NEAR_CODES                       # the bound on the codes one admission computes

The registry keeps no names, so "is there a client spelled almost like this?" is asked
the other way round: every spelling one edit away from the typed family or given name
(a letter substituted, deleted or inserted -- a doubled letter is an insertion) is coded
in memory and the codes are looked up. Only the SLK letters (family name letters 2, 3
and 5, given name letters 2 and 3) enter a code, so only edits within the first six
letters of a normalised name can change it, and many edits give the same letters: an
admission computes a few hundred keyed hashes at most (:data:`MAX_NEAR_CODES`). Both
code versions are covered: a variant with a doubled letter is coded as version 1 too,
which finds a client registered as "Ассанов" before doubles were folded.

Nothing here stores or logs a name: the variants live in local sets and are dropped.
Staff then decide (the existing client, or a new person); :func:`record_near_decision`
audits the decision with ids only.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import exists, or_, select

from registry.extensions import db
from registry.models import Client, LabTest, OstEnrolment, TreatmentEpisode, User
from registry.services.audit import record_event
from registry.services.client_codes import (
    FAMILY_POSITIONS,
    GIVEN_POSITIONS,
    SEX_DIGITS,
    ClientIdentifiers,
    client_codes,
    keyed_hasher,
    legacy_normalise_name,
    normalise_name,
    slk_letters,
)

#: The letters a normalised name can hold (the folds leave no Q, W, X or Y).
LETTERS = "ABCDEFGHIJKLMNOPRSTUVZ"
#: Edits past this many letters of a normalised name cannot change its SLK letters.
PREFIX = 6
#: At most this many codes per admission (family and given name variants, both versions).
MAX_NEAR_CODES = 2 * (len(LETTERS) * (2 * PREFIX + 1) + PREFIX) * 2
#: Codes per ``IN (...)`` (SQLite before 3.32 allows 999 parameters).
CHUNK = 500


def _edits(name: str) -> set[str]:
    """The first letters of every spelling one edit away from normalised ``name``."""
    head = name[: PREFIX + 1]
    found = set()
    for i in range(min(len(head), PREFIX) + 1):
        for letter in LETTERS:
            found.add(head[:i] + letter + head[i:])  # insertion (a doubled letter too)
            if i < len(head):
                found.add(head[:i] + letter + head[i + 1 :])  # substitution
        if i < len(head):
            found.add(head[:i] + head[i + 1 :])  # deletion
    found.discard(head)
    return found


def _letter_variants(text: str, positions: tuple[int, ...]) -> tuple[set[str], str]:
    """(SLK letters of the near spellings, in both code versions; the typed letters)."""
    current, legacy = normalise_name(text), legacy_normalise_name(text)
    letters = set()
    for base in {current, legacy}:
        for variant in _edits(base):
            if variant:
                letters.add(slk_letters(variant, positions))  # version 1: doubles kept
                letters.add(slk_letters(normalise_name(variant), positions))
    return letters, slk_letters(current, positions)


def near_codes(ids: ClientIdentifiers, key: str) -> set[str]:
    """Codes of every spelling one edit away from ``ids`` (same birth date and sex),
    without the codes of ``ids`` themselves; at most :data:`MAX_NEAR_CODES`."""
    rest = f"{ids.birth_date:%d%m%Y}{SEX_DIGITS[ids.sex]}"
    families, family = _letter_variants(ids.family_name, FAMILY_POSITIONS)
    givens, given = _letter_variants(ids.given_name, GIVEN_POSITIONS)
    slks = {f"{f}{given}{rest}" for f in families} | {f"{family}{g}{rest}" for g in givens}
    digest = keyed_hasher(key)
    codes = {digest(slk.encode()).hex() for slk in slks}
    slks.clear()
    return codes - set(client_codes(ids, key))


def _has_records_at(centre_id: int):
    return or_(
        exists().where(TreatmentEpisode.client_id == Client.id,
                       TreatmentEpisode.centre_id == centre_id),
        exists().where(OstEnrolment.client_id == Client.id, OstEnrolment.centre_id == centre_id),
        exists().where(LabTest.client_id == Client.id, LabTest.centre_id == centre_id),
    )  # fmt: skip


def near_clients(ids: ClientIdentifiers, *, centre_id: int, own_code: str) -> list[Client]:
    """Clients with records at ``centre_id`` whose code is a near spelling of ``ids``.

    ``own_code`` is the code the admission will use; the person's other code version (a
    different client when both were registered) counts as near too.
    """
    key = current_app.config["LINKAGE_KEY"]
    codes = near_codes(ids, key) | set(client_codes(ids, key))
    codes.discard(own_code)
    ordered = sorted(codes)
    found: list[Client] = []
    for start in range(0, len(ordered), CHUNK):
        found.extend(
            db.session.scalars(
                select(Client).where(
                    Client.code.in_(ordered[start : start + CHUNK]),
                    Client.sex == ids.sex,
                    Client.birth_year == ids.birth_date.year,
                    _has_records_at(centre_id),
                )
            )
        )
    return sorted(found, key=lambda client: client.id)


def record_near_decision(
    actor: User, centre_id: int, client_id: int, candidates: Iterable[int], decision: str
) -> None:
    """Audit the staff decision on a near-spelling warning (ids and codes only).

    ``decision`` is ``existing`` (admitted as candidate ``client_id``) or ``new`` (a new
    client ``client_id`` although near candidates existed).
    """
    ids = ",".join(str(candidate) for candidate in sorted(candidates))
    record_event(
        actor, "create", "near_match_decision", client_id, centre_id=centre_id,
        detail=f"decision={decision} candidates={ids}",
    )  # fmt: skip
