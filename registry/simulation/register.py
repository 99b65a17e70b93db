"""The dispensary register ("учёт"): who is on it, from when to when, and why they leave it.

In the post-Soviet narcological system a person is put under dispensary observation at their
first contact with a narcological dispensary and stays registered for years, whether or not
they come back, until the dispensary removes them. The simulator's rule (docs/simulation.md,
"The dispensary register", gives its sources and which parts are assumptions):

* a registration opens at a person's first treatment admission, or at the first one after
  a removal;
* it is closed by the first of: a prison-health contact (``imprisoned``); the end of use by
  death (``died``) or emigration (``moved_away``), recorded on a random day of the year the
  person stopped; the end of use by cessation followed by 3-5 years of confirmed remission
  (``completed_drug_free``, the years drawn per person from ``register_remission_years``).

A registration is written as a dispensary episode of programme :data:`PROGRAMME` that stays
open until that removal. :func:`registered_at` is the same rule at year resolution, cheap
enough for the calibration to evaluate dozens of times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from registry.codes import REGISTRATION_PROGRAMME
from registry.simulation.parameters import Parameters
from registry.simulation.population import Population

#: Programme code of a registration episode (registry/codes.py PROGRAMMES).
PROGRAMME = REGISTRATION_PROGRAMME
#: Discharge reason of a registration by the person's exit reason (population.EXIT_REASONS).
EXIT_REMOVAL = ("completed_drug_free", "died", "moved_away")
IMPRISONED = "imprisoned"
NEVER = np.datetime64("2200-01-01")


def remission_years(rng: np.random.Generator, params: Parameters, n: int) -> np.ndarray:
    """Years of confirmed remission after which each of ``n`` people who stop is removed."""
    low, high = params.register_remission_years
    return rng.integers(low, high + 1, n).astype(np.int16)


def removal_year(population: Population, remission: np.ndarray) -> np.ndarray:
    """The year each person's registration ends at the latest: the year they stop using,
    plus the remission years if they stopped by cessation (exit reason 0)."""
    ceased = population.exit_reason == 0
    return population.exit_year + np.where(ceased, remission, 0)


def registered_at(
    census: int,
    years: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]],
    last_possible: np.ndarray,
) -> int:
    """People on the register at the end of ``census``, at year resolution.

    ``years`` holds, per year in order, (year, people, treated mask, prison mask);
    ``last_possible`` is :func:`removal_year`. A prison contact removes a registration
    unless the person is also treated that year (dates within the year are ignored).
    """
    on = np.zeros(len(last_possible), dtype=bool)
    for year, person, treated, prison in years:
        if year > census:
            break
        on[person[prison & ~treated]] = False
        on[person[treated]] = True
    return int(np.count_nonzero(on & (last_possible > census)))


@dataclass
class Spells:
    """Registrations as parallel arrays, ordered by person and opening date."""

    person: np.ndarray
    opening: np.ndarray  # index of the opening treatment episode in the Contacts arrays
    admission: np.ndarray  # datetime64[D]
    removal: np.ndarray  # datetime64[D]; NEVER-like far future while registered
    reason: np.ndarray  # str: discharge reason of the removal

    def __len__(self) -> int:
        return len(self.person)

    def registered_since(self, year: int | None, people: int) -> np.ndarray:
        """Mask of the ``people`` on the register at some time from the year before ``year``
        (every registration when ``year`` is None)."""
        mask = np.zeros(people, dtype=bool)
        since = np.datetime64(f"{(year or 1000) - 1}-01-01")
        mask[self.person[self.removal >= since]] = True
        return mask


def register_spells(
    rng: np.random.Generator,
    population: Population,
    episode_person: np.ndarray,
    episode_admission: np.ndarray,
    prison_person: np.ndarray,
    prison_date: np.ndarray,
    remission: np.ndarray,
) -> Spells:
    """Every registration of the simulated history (episodes sorted by person and date)."""
    order = np.lexsort((prison_date, prison_person))
    p_person, p_date = prison_person[order].astype(np.int64), prison_date[order]
    day = np.int64(1 << 20)  # dates as days fit well below this
    prison_key = p_person * day + p_date.astype(np.int64)
    episode_key = episode_person.astype(np.int64) * day + episode_admission.astype(np.int64)
    # prison contacts of the same person before each admission: a new count opens anew
    before = np.searchsorted(prison_key, episode_key) - np.searchsorted(p_person, episode_person)
    opens = np.ones(len(episode_person), dtype=bool)
    opens[1:] = (episode_person[1:] != episode_person[:-1]) | (before[1:] != before[:-1])
    opening = np.flatnonzero(opens)
    person = episode_person[opening]
    admission = episode_admission[opening]
    prison_day = np.full(len(person), NEVER)
    if len(p_person):
        following = np.searchsorted(prison_key, episode_key[opening])  # first on or after
        at = np.minimum(following, len(p_person) - 1)
        jailed = (following < len(p_person)) & (p_person[at] == person)
        prison_day[jailed] = p_date[at[jailed]]

    last = removal_year(population, remission)[person].astype(np.int64)
    year_start = (last - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    exit_day = year_start + rng.integers(0, 365, len(person))
    exit_reason = np.asarray(EXIT_REMOVAL)[population.exit_reason[person]]
    by_prison = prison_day < exit_day
    return Spells(
        person=person,
        opening=opening,
        admission=admission,
        removal=np.where(by_prison, prison_day, exit_day),
        reason=np.where(by_prison, IMPRISONED, exit_reason),
    )
