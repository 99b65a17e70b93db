"""Near spellings at admission: clients of this centre one edit away from the typed
identifiers (a name one letter off, or the date of birth one typing slip off).

Public interface::

    near_codes(ids: ClientIdentifiers, key: str) -> set[str]   # codes of near spellings
    near_clients(ids: ClientIdentifiers, *, centre_id: int, own_code: str) -> list[Client]
    date_slips(born: date) -> set[date]   # valid dates one typing slip from ``born``
    record_near_decision(actor, centre_id, client_id, candidates, decision) -> None
    MAX_NEAR_CODES                       # the bound on the codes one admission computes

The registry keeps no names, so "is there a client spelled almost like this?" is asked
the other way round: every spelling one edit away from the typed family or given name
(a letter substituted, deleted or inserted -- a doubled letter is an insertion), and
every date of birth one slip away (:func:`date_slips`) with the names as typed, is
coded in memory and the codes are looked up. Only the SLK letters (family name letters
2, 3 and 5, given name letters 2 and 3) enter a code, so only edits within the first six
letters of a normalised name can change it, and many edits give the same letters: an
admission computes a few hundred keyed hashes at most (:data:`MAX_NEAR_CODES`). Both
code versions are covered, each with its own spellings (:func:`_letters`): a variant
with a doubled letter is coded as version 1, which finds a client registered as
"Ассанов" before doubles were folded.

Nothing here stores or logs a name: the variants live in local sets and are dropped.
Staff then decide (the existing client, or a new person); :func:`record_near_decision`
audits the decision with ids only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask import current_app
from sqlalchemy import exists, or_, select

from registry.extensions import db
from registry.models import Client, LabTest, OstEnrolment, TreatmentEpisode, User
from registry.schemas.base import EARLIEST_BIRTH
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
#: Spellings of one name one edit away, at most (insertions, substitutions, deletions).
_NAME_EDITS = len(LETTERS) * (2 * PREFIX + 1) + PREFIX
#: Birth dates one slip away, at most: a digit of DDMMYYYY, two side by side, day/month.
MAX_DATE_SLIPS = 8 * 9 + 7 + 1
#: At most this many codes per admission: version 1 from the typed spelling, version 2
#: from the typed and the folded one, for each name; and the date slips, both versions.
MAX_NEAR_CODES = 2 * 3 * _NAME_EDITS + 2 * MAX_DATE_SLIPS
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


def _letters(text: str, positions: tuple[int, ...]) -> dict[int, tuple[str, set[str]]]:
    """``{version: (the typed SLK letters, the letters of the near spellings)}``.

    Version 1 (doubles kept) takes the one-edit spellings of the name as typed; version
    2 (doubles folded) those of the typed and of the folded name, folded. A version's
    letters are never taken from the other's spellings: a one-edit spelling of the
    folded "ASANOV" is two edits from "ASSANOV" as version 1 coded it.
    """
    current, legacy = normalise_name(text), legacy_normalise_name(text)
    first = {slk_letters(variant, positions) for variant in _edits(legacy) if variant}
    second = {
        slk_letters(normalise_name(variant), positions)
        for variant in _edits(legacy) | _edits(current)
        if variant
    }
    return {
        1: (slk_letters(legacy, positions), first),
        2: (slk_letters(current, positions), second),
    }


def date_slips(born: date) -> set[date]:
    """Valid dates one typing slip from ``born`` (not later than today): one digit of
    DDMMYYYY changed, two digits side by side swapped, or day and month swapped."""
    digits = f"{born:%d%m%Y}"
    typed = {digits[:i] + d + digits[i + 1 :] for i in range(8) for d in "0123456789"}
    typed |= {digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :] for i in range(7)}
    typed.add(digits[2:4] + digits[:2] + digits[4:])
    found = set()
    for text in typed:
        try:
            day = date(int(text[4:]), int(text[2:4]), int(text[:2]))
        except ValueError:
            continue
        if EARLIEST_BIRTH <= day <= date.today():
            found.add(day)
    found.discard(born)
    return found


def near_codes(ids: ClientIdentifiers, key: str) -> set[str]:
    """Codes of every spelling one edit away from ``ids`` -- a name one edit away, or
    the birth date one slip away (:func:`date_slips`), the sex the same -- in both
    code versions, without the codes of ``ids`` themselves; at most
    :data:`MAX_NEAR_CODES`."""
    sex = SEX_DIGITS[ids.sex]
    born = f"{ids.birth_date:%d%m%Y}{sex}"
    families = _letters(ids.family_name, FAMILY_POSITIONS)
    givens = _letters(ids.given_name, GIVEN_POSITIONS)
    slips = [f"{day:%d%m%Y}{sex}" for day in date_slips(ids.birth_date)]
    slks = set()
    for version in (1, 2):
        (family, near_families), (given, near_givens) = families[version], givens[version]
        slks |= {f"{near}{given}{born}" for near in near_families}
        slks |= {f"{family}{near}{born}" for near in near_givens}
        slks |= {f"{family}{given}{rest}" for rest in slips}
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
    years = {ids.birth_date.year} | {day.year for day in date_slips(ids.birth_date)}
    found: list[Client] = []
    for start in range(0, len(ordered), CHUNK):
        found.extend(
            db.session.scalars(
                select(Client).where(
                    Client.code.in_(ordered[start : start + CHUNK]),
                    Client.sex == ids.sex,
                    Client.birth_year.in_(years),
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
