"""How the hidden population shows up in each source, person by person and year by year.

Sources: narcological registration and treatment (episodes), police (repeatable contacts),
prison health, HIV testing at AIDS centres. Every contact rate is multiplied by the person's
``visibility`` (raised to a source-specific power): that shared individual heterogeneity is
the realistic, awkward part for capture-recapture. Police contact also multiplies the
registration hazard in the same year (police refer to narcology), a direct positive
dependence between the two lists. The treatment hazard is calibrated so the dispensary
register (:mod:`.register`) holds the country's registered figure at the start of the
reference year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from registry.simulation.parameters import DRUGS, TREATMENT_BY_DRUG, Parameters
from registry.simulation.population import Population
from registry.simulation.register import registered_at, remission_years, removal_year

PROGRAMME_DAYS = {
    "detoxification": (7, 21),
    "outpatient": (30, 120),
    "inpatient_rehabilitation": (28, 90),
}
PROGRAMME_SHARES = {"detoxification": 0.5, "outpatient": 0.3, "inpatient_rehabilitation": 0.2}


@dataclass
class Contacts:
    """Contacts of the population with each source, as parallel arrays per table.

    Dates are ``datetime64[D]``; ``person`` indexes :class:`Population`. Episodes cover the
    history years too (``ever_treated`` needs them); writers keep ``year >= first_year``.
    """

    registration_rate: float
    remission: np.ndarray  # per person: years of remission before removal from the register
    episode_person: np.ndarray
    episode_year: np.ndarray
    episode_admission: np.ndarray
    episode_discharge: np.ndarray
    episode_programme: np.ndarray  # index into PROGRAMME_SHARES
    episode_police_referral: np.ndarray  # bool: a police contact that year
    episode_previous: np.ndarray  # bool: an earlier episode of the same person
    police_person: np.ndarray
    police_date: np.ndarray
    prison_person: np.ndarray
    prison_date: np.ndarray
    hiv_test_person: np.ndarray
    hiv_test_date: np.ndarray


def _random_dates(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """A uniformly random day within each year."""
    first = (np.asarray(years, dtype=np.int64) - 1970).astype("datetime64[Y]")
    starts = first.astype("datetime64[D]")
    days = ((first + 1).astype("datetime64[D]") - starts).astype(np.int64)
    return starts + (rng.random(len(starts)) * days).astype(np.int64)


def calibrate_registration(
    years: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    last_possible: np.ndarray,
    census: int,
    target: float,
) -> float:
    """Treatment rate putting ``target`` people on the register at the end of ``census``.

    ``years`` holds per year (year, people, uniform draw, relative hazard, prison mask);
    a person is treated when the draw is below ``1 - exp(-rate * hazard)``, so every trial
    rate reuses the same draws and the register grows monotonically with the rate.
    Bisection on the log of the rate (:func:`.register.registered_at` at year resolution).
    """
    low, high = np.log(1e-6), np.log(50.0)
    for _ in range(36):
        rate = np.exp((low + high) / 2)
        trial = [(year, person, draw < -np.expm1(-rate * hazard), prison)
                 for year, person, draw, hazard, prison in years if year <= census]  # fmt: skip
        if registered_at(census, trial, last_possible) < target:
            low = np.log(rate)
        else:
            high = np.log(rate)
    return float(np.exp((low + high) / 2))


def simulate_contacts(
    rng: np.random.Generator,
    population: Population,
    params: Parameters,
    first_year: int,
    last_year: int,
    registered_target: float,
) -> Contacts:
    """Draw every contact of every person with every source from the history years on.

    The draws of each year are kept until the treatment rate is calibrated: the register
    at the end of the year before the reference year ("early 2003" in DOMAIN §1) must hold
    ``registered_target`` (moved by the growth rate if that year is not simulated).
    """
    start = first_year - params.history_years
    census = min(max(params.reference_year - 1, start), last_year)
    target = registered_target * (1 + params.growth) ** (census - params.reference_year + 1)
    remission = remission_years(rng, params, len(population))

    found: dict[str, list[np.ndarray]] = {name: [] for name in (
        "treated", "treated_year", "treated_police", "police", "police_year", "prison",
        "prison_year", "tested", "tested_year")}  # fmt: skip
    years, police_years = [], []
    for year in range(start, last_year + 1):
        person = np.flatnonzero(population.active(year)).astype(np.int32)
        police_mean, base = _rates(population, params, person)
        vis = population.visibility[person]
        police_count = rng.poisson(police_mean)
        police_any = police_count > 0
        hazard = base * np.where(police_any, params.police_referral, 1.0)
        draw = rng.random(len(person)).astype(np.float32)
        prison_hazard = params.prison_rate * vis**params.prison_visibility
        prison_hazard = prison_hazard * np.where(police_any, params.prison_after_police, 1.0)
        prison = rng.random(len(person)) < -np.expm1(-prison_hazard)
        test_hazard = params.hiv_test_rate * vis**params.hiv_test_visibility
        test_hazard = test_hazard * np.where(population.injects[person],
                                             params.hiv_test_injecting, 1.0)  # fmt: skip
        tested = rng.random(len(person)) < -np.expm1(-test_hazard)
        years.append((year, person, draw, hazard.astype(np.float32), prison))
        for name, chosen in (("prison", person[prison]), ("tested", person[tested]),
                             ("police", np.repeat(person, police_count))):  # fmt: skip
            found[name].append(chosen)
            found[f"{name}_year"].append(np.full(len(chosen), year, dtype=np.int32))
        police_years.append(police_any)
    last_possible = removal_year(population, remission)
    rate = calibrate_registration(years, last_possible, census, target)
    for (year, person, draw, hazard, _prison), police_any in zip(years, police_years,
                                                                  strict=True):  # fmt: skip
        treated = draw < -np.expm1(-rate * hazard)
        found["treated"].append(person[treated])
        found["treated_year"].append(np.full(int(treated.sum()), year, dtype=np.int32))
        found["treated_police"].append(police_any[treated])
    joined = {name: np.concatenate(parts) for name, parts in found.items()}
    episodes = _episodes(rng, params, joined["treated"], joined["treated_year"],
                         joined["treated_police"])  # fmt: skip
    return Contacts(
        registration_rate=rate,
        remission=remission,
        **episodes,
        police_person=joined["police"],
        police_date=_random_dates(rng, joined["police_year"]),
        prison_person=joined["prison"],
        prison_date=_random_dates(rng, joined["prison_year"]),
        hiv_test_person=joined["tested"],
        hiv_test_date=_random_dates(rng, joined["tested_year"]),
    )


def _rates(
    population: Population, params: Parameters, person: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean police contacts and relative registration hazard of each of ``person``."""
    vis = population.visibility[person].astype(np.float64)
    police_mean = params.police_rate * np.where(population.female[person], params.police_women, 1.0)
    police_mean = police_mean * vis**params.police_visibility
    base = np.array([TREATMENT_BY_DRUG[d] for d in DRUGS])[population.drug[person]] * vis
    return police_mean, base


def _episodes(
    rng: np.random.Generator,
    params: Parameters,
    person: np.ndarray,
    year: np.ndarray,
    police: np.ndarray,
) -> dict[str, np.ndarray]:
    """Expand treatment years into episodes: sequential, non-overlapping within the year."""
    count = 1 + rng.poisson(params.repeat_episodes, len(person))
    e_person = np.repeat(person, count)
    e_year = np.repeat(year, count)
    slot = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    slots = np.repeat(count, count)
    year_start = (e_year.astype(np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    segment = 365 // slots
    admission = year_start + slot * segment + (rng.random(len(e_year)) * segment * 0.5).astype(int)
    shares = np.array(list(PROGRAMME_SHARES.values()))
    programme = rng.choice(len(shares), size=len(e_year), p=shares).astype(np.int8)
    bounds = np.array(list(PROGRAMME_DAYS.values()))
    low, high = bounds[programme, 0], bounds[programme, 1]
    length = low + (rng.random(len(e_year)) * (high - low)).astype(int)
    segment_end = year_start + (slot + 1) * segment - 1
    discharge = np.minimum(admission + length, segment_end)
    # ever treated before: any earlier episode of the same person (arrays are by person-year)
    order = np.lexsort((admission, e_person))
    sorted_person = e_person[order]
    previous = np.r_[False, sorted_person[1:] == sorted_person[:-1]]
    return {
        "episode_person": e_person[order],
        "episode_year": e_year[order],
        "episode_admission": admission[order],
        "episode_discharge": discharge[order],
        "episode_programme": programme[order],
        "episode_police_referral": np.repeat(police, count)[order],
        "episode_previous": previous,
    }
