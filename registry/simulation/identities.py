"""Identifiers as staff type them, contact by contact, and their client codes.

Every person gets a name from their ethnic group's pool and a date of birth in their birth
year. At each contact the name is typed in Cyrillic or (``latin_spelling``) in Latin
letters, and with probability ``typo_rate`` one field carries a typing error (a wrong,
missing, doubled or swapped letter, or a slip in the date of birth). Codes come from the
real :func:`registry.services.client_codes.client_code`, memoised on the typed values.

Names exist only in memory, only for the contact being coded: nothing here is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from registry.services.client_codes import ClientIdentifiers, client_code
from registry.simulation import names
from registry.simulation.population import Population
from registry.simulation.profiles import CountryProfile

#: Random fields drawn per contact: spelling, whether there is a typo, and its seed.
Typing = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass
class Identities:
    """Per-person name indexes and dates of birth (ordinal days), for typing at contacts."""

    group: np.ndarray  # index into names.ETHNICITIES
    family: np.ndarray  # index into the group's family pool
    given: np.ndarray  # index into the group's pool for the person's sex
    birth_ordinal: np.ndarray  # date.toordinal() of the date of birth
    female: np.ndarray

    def typed(self, person: int, latin: bool, typo_seed: int | None) -> dict[str, str]:
        """The four identifying form fields for ``person`` as one clerk types them."""
        group = names.ETHNICITIES[self.group[person]]
        pool = names.POOLS[group]
        female = bool(self.female[person])
        family = pool["family"][self.family[person]]
        if female:
            family = names.female_family_name(family)
        given = pool["female" if female else "male"][self.given[person]]
        birth = date.fromordinal(int(self.birth_ordinal[person]))
        if latin:
            family, given = names.latin_spelling(family), names.latin_spelling(given)
        if typo_seed is not None:
            rng = np.random.default_rng(typo_seed)
            where = rng.random()
            if where < 0.5:
                family = names.typo(rng, family)
            elif where < 0.8:
                given = names.typo(rng, given)
            else:
                birth = _birth_slip(rng, birth)
        return {
            "family_name": family,
            "given_name": given,
            "birth_date": birth.isoformat(),
            "sex": "F" if female else "M",
        }


def _birth_slip(rng: np.random.Generator, birth: date) -> date:
    """A typing slip in a date of birth: day and month swapped, or a neighbouring day/year."""
    kind = int(rng.integers(3))
    if kind == 0 and birth.day <= 12 and birth.day != birth.month:
        return birth.replace(day=birth.month, month=birth.day)
    if kind == 1 and not (birth.month == 2 and birth.day == 29):
        return birth.replace(year=birth.year + int(rng.choice((-1, 1))))
    return birth + timedelta(days=int(rng.choice((-1, 1))))


def assign_identities(
    rng: np.random.Generator, profile: CountryProfile, population: Population
) -> Identities:
    """Draw every person's ethnic group, name and date of birth."""
    n = len(population)
    groups = [names.ETHNICITIES.index(g) for g in profile.ethnic_mix]
    weights = np.array(list(profile.ethnic_mix.values()))
    group = np.array(groups, dtype=np.int8)[rng.choice(len(groups), n, p=weights / weights.sum())]
    family = np.zeros(n, dtype=np.int16)
    given = np.zeros(n, dtype=np.int16)
    for g, name in enumerate(names.ETHNICITIES):
        pool = names.POOLS[name]
        members = group == g
        family[members] = rng.integers(0, len(pool["family"]), members.sum())
        for female, kind in ((False, "male"), (True, "female")):
            chosen = members & (population.female == female)
            given[chosen] = rng.integers(0, len(pool[kind]), chosen.sum())
    jan1 = np.array([date(int(y), 1, 1).toordinal() for y in range(1900, 2101)])
    start = jan1[population.birth_year.astype(int) - 1900]
    days = jan1[population.birth_year.astype(int) - 1899] - start
    birth = start + (rng.random(n) * days).astype(np.int64)
    return Identities(group, family, given, birth, population.female.copy())


def draw_typing(rng: np.random.Generator, n: int, latin: float, typo_rate: float) -> Typing:
    """Per-contact spelling (Latin or not), typo flag and typo seed, drawn up front."""
    return (
        rng.random(n) < latin,
        rng.random(n) < typo_rate,
        rng.integers(0, 2**31 - 1, n),
    )


class Coder:
    """Client codes of typed identifiers through the real code path, memoised."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._cache: dict[tuple[str, str, str, str], str] = {}
        self._clean: dict[tuple[int, int, bool], str] = {}

    def code(self, fields: dict[str, str]) -> str:
        """The client code of the four typed identifying fields."""
        key = (fields["family_name"], fields["given_name"], fields["birth_date"], fields["sex"])
        found = self._cache.get(key)
        if found is None:
            ids = ClientIdentifiers(key[0], key[1], date.fromisoformat(key[2]), key[3])
            found = self._cache[key] = client_code(ids, self.key)
        return found

    def code_of(self, ids: ClientIdentifiers) -> str:
        """The client code of already-validated identifiers (memoised the same way)."""
        key = (ids.family_name, ids.given_name, ids.birth_date.isoformat(), ids.sex)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = client_code(ids, self.key)
        return found

    def typed_code(self, identities: Identities, person: int, typing: Typing, contact: int) -> str:
        """Type ``person``'s identifiers as at ``contact`` and return the code."""
        latin, has_typo, seed = typing
        spelling = bool(latin[contact])
        if has_typo[contact]:
            return self.code(identities.typed(person, spelling, int(seed[contact])))
        # without a typo the typed fields depend only on the person and the spelling
        key = (id(identities), person, spelling)
        found = self._clean.get(key)
        if found is None:
            found = self._clean[key] = self.code(identities.typed(person, spelling, None))
        return found
