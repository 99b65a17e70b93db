"""One seeded run: population, contacts, OST, identities and the episodes to be written.

Episodes are the treatment episodes of the reported years, one OST episode per enrolment and
one registration (dispensary observation, :mod:`.register`) per stay on the register that
overlaps the reported years, open until the person is removed.

``simulate(country, first_year, last_year, scale, seed)`` is pure (no database): the same
arguments give the same :class:`Simulation`, bit for bit. The writer and the list and truth
outputs read from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from registry.schemas.base import EARLIEST_EVENT
from registry.simulation.admissions import (
    OST_TO_DISCHARGE,
    AdmissionItems,
    Coded,
    draw_admission_items,
)
from registry.simulation.contacts import PROGRAMME_SHARES, Contacts, simulate_contacts
from registry.simulation.identities import Identities, Typing, assign_identities, draw_typing
from registry.simulation.ost import Enrolment, simulate_ost
from registry.simulation.parameters import Parameters
from registry.simulation.population import Population, simulate_population
from registry.simulation.profiles import PROFILES, CountryProfile
from registry.simulation.register import PROGRAMME as REGISTRATION
from registry.simulation.register import Spells, register_spells

NAT = np.datetime64("NaT", "D")


@dataclass
class Episodes:
    """The treatment episodes to write, in admission order (parallel arrays)."""

    person: np.ndarray
    centre: Coded  # centre code
    programme: Coded
    admission: np.ndarray  # datetime64[D]
    discharge: np.ndarray  # datetime64[D], NaT while open
    discharge_reason: Coded  # "" while open
    enrolment: np.ndarray  # index into Simulation.enrolments, -1 for other programmes
    items: AdmissionItems
    typing: Typing

    def __len__(self) -> int:
        return len(self.person)


@dataclass
class Simulation:
    """Everything one run produced; only :mod:`.outputs` turns parts of it into the truth."""

    profile: CountryProfile
    params: Parameters
    seed: int
    first_year: int
    last_year: int
    scale: float
    population: Population
    contacts: Contacts
    enrolments: list[Enrolment]
    identities: Identities
    episodes: Episodes
    typing: dict[str, Typing] = field(default_factory=dict)

    @property
    def region_codes(self) -> list[str]:
        """Region codes in profile order (``population.region`` indexes this)."""
        return [r.code for r in self.profile.regions]


#: Seeds, with the run's seed, the generator of the TDI 3.0 answers added later, so that
#: adding them changed none of the draws before (see ``admissions.LAST_TIME_NOT_KNOWN``).
TDI3_STREAM = 3


def simulate(
    country: str = "KG",
    first_year: int = 1998,
    last_year: int = 2004,
    scale: float = 1.0,
    seed: int = 2003,
    params: Parameters | None = None,
) -> Simulation:
    """Run the model for ``country`` over ``first_year..last_year`` at ``scale``."""
    if first_year > last_year:
        raise ValueError("first_year must not be after last_year")
    if scale <= 0:
        raise ValueError("scale must be positive")
    profile = PROFILES[country]
    params = params or Parameters()
    rng = np.random.default_rng(seed)
    population = simulate_population(rng, profile, params, first_year, last_year, scale)
    contacts = simulate_contacts(
        rng, population, params, first_year, last_year, profile.registered_2003 * scale
    )
    spells = register_spells(rng, population, contacts.episode_person,
                             contacts.episode_admission, contacts.prison_person,
                             contacts.prison_date, contacts.remission)  # fmt: skip
    enrolments = simulate_ost(rng, profile, params, population,
                              spells.registered_since(profile.ost_start, len(population)),
                              first_year, last_year, scale)  # fmt: skip
    identities = assign_identities(rng, profile, population)
    tdi3 = np.random.default_rng((seed, TDI3_STREAM))  # after rng's draws: they stay as they were
    episodes = _episodes(rng, profile, params, population, contacts, spells, enrolments,
                         first_year, last_year, tdi3)  # fmt: skip
    typing = {
        source: draw_typing(rng, len(persons), params.latin_spelling, params.typo_rate)
        for source, persons in (
            ("police", contacts.police_person),
            ("prison", contacts.prison_person),
            ("hiv_testing", contacts.hiv_test_person),
        )
    }
    return Simulation(profile, params, seed, first_year, last_year, scale, population,
                      contacts, enrolments, identities, episodes, typing)  # fmt: skip


def _episodes(
    rng: np.random.Generator,
    profile: CountryProfile,
    params: Parameters,
    population: Population,
    contacts: Contacts,
    spells: Spells,
    enrolments: list[Enrolment],
    first_year: int,
    last_year: int,
    tdi3: np.random.Generator,
) -> Episodes:
    """Treatment episodes from ``first_year`` on, one OST episode per enrolment and the
    registrations on the register at some time from ``first_year`` on.

    A registration opened by a written admission is recorded with it: same day, same
    typed identity, same items (no lab tests of its own), so it adds no entrant and no
    client. One opened in the history years gets its own form; one opened before the
    registry's earliest date (:data:`EARLIEST_EVENT`, the forms refuse earlier dates) is
    entered as opened on that date.
    """
    keep = contacts.episode_year >= first_year
    person = contacts.episode_person[keep]
    centres = np.array([r.centre for r in profile.regions])
    programmes = np.array(list(PROGRAMME_SHARES))
    admission = contacts.episode_admission[keep]
    discharge = contacts.episode_discharge[keep].copy()
    police = contacts.episode_police_referral[keep]
    previous = contacts.episode_previous[keep]
    # a few admissions near the end of the last year are still open
    end = np.datetime64(f"{last_year}-12-31")
    last_of_person = np.ones(len(person), dtype=bool)  # contacts are sorted by person
    last_of_person[:-1] = person[1:] != person[:-1]
    still_open = (admission > end - 60) & (rng.random(len(admission)) < 0.5) & last_of_person
    discharge[still_open | (discharge > end)] = NAT

    on = (spells.removal >= np.datetime64(f"{first_year}-01-01")) & (spells.admission <= end)
    opening = spells.opening[on]
    reg_discharge = np.where(spells.removal[on] > end, NAT, spells.removal[on])
    reg_reason = np.where(np.isnat(reg_discharge), "", spells.reason[on])
    written = np.cumsum(keep) - 1  # row of each contact episode among the written ones
    source = np.where(keep[opening], written[opening], -1)

    ost_person = np.array([e.person for e in enrolments], dtype=np.int64)
    n_ost, n_reg = len(enrolments), len(opening)
    all_person = np.r_[person, ost_person, spells.person[on]]
    items = draw_admission_items(
        rng,
        population.drug[all_person],
        population.injects[all_person],
        np.r_[police, np.zeros(n_ost, dtype=bool), contacts.episode_police_referral[opening]],
        np.r_[previous, np.ones(n_ost, dtype=bool), contacts.episode_previous[opening]],
        (params.lab_hiv, params.lab_hcv, params.lab_tb),
        tdi3,
    )
    first_reg = len(person) + n_ost
    copied = np.flatnonzero(source >= 0)
    items.copy_rows(first_reg + copied, source[copied])
    for tested in (items.lab_hiv, items.lab_hcv, items.lab_tb):
        tested[first_reg:] = False
    drawn = items.discharge_reason[: len(person)]
    reason = np.where(np.isnat(discharge), "", np.asarray(drawn.labels)[drawn.codes])
    ost_reason = [
        OST_TO_DISCHARGE.get(e.exit_reason, e.exit_reason) if e.exit_reason else ""
        for e in enrolments
    ]
    ost_dates = np.array([e.enrolment_date for e in enrolments], dtype="M8[D]")
    ost_exits = np.array(
        [e.exit_date if e.exit_date is not None else NAT for e in enrolments], dtype="M8[D]"
    )
    table = {
        "person": all_person,
        "centre": np.concatenate(
            [
                centres[population.region[person]],
                np.array([e.centre for e in enrolments], str),
                centres[population.region[spells.person[on]]],
            ]
        ),
        "programme": np.concatenate(
            [
                programmes[contacts.episode_programme[keep]],
                np.full(n_ost, "ost"),
                np.full(n_reg, REGISTRATION),
            ]
        ),
        "admission": np.concatenate(
            [admission, ost_dates, np.maximum(spells.admission[on], np.datetime64(EARLIEST_EVENT))]
        ),
        "discharge": np.concatenate([discharge, ost_exits, reg_discharge]),
        "discharge_reason": np.concatenate([reason, np.array(ost_reason, dtype=str), reg_reason]),
        "enrolment": np.concatenate(
            [np.full(len(person), -1), np.arange(n_ost), np.full(n_reg, -1)]
        ),
    }
    for name in ("centre", "programme", "discharge_reason"):
        table[name] = Coded.of(table[name])
    # stable: on the same day a treatment admission comes before the registration it opens
    order = np.lexsort((table["person"], table["admission"]))
    table = {key: value[order] for key, value in table.items()}
    items.items = {key: value[order] for key, value in items.items.items()}
    for name in items.ARRAYS:
        setattr(items, name, getattr(items, name)[order])
    typing = draw_typing(rng, len(order), params.latin_spelling, params.typo_rate)
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    rows, sources = position[first_reg + copied], position[source[copied]]
    for column in typing:
        column[rows] = column[sources]
    return Episodes(**table, items=items, typing=typing)
