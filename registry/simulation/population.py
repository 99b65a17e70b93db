"""The hidden population: who uses drugs, where, from when to when, and who gets HIV.

One row per person ever simulated, as numpy arrays (structure of arrays). A person is
*active* in every year from ``entry_year`` up to, not including, ``exit_year``. Entrants per
region and year are drawn so the number of active users follows the country's trajectory:
``users_2003 * scale * (1 + growth) ** (year - 2003)`` shared out by region population times
the region's concentration of drug use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from registry.simulation.parameters import (
    DRUGS,
    INJECTING_BY_DRUG,
    NON_OPIOID_SHARES,
    Parameters,
)
from registry.simulation.profiles import CountryProfile

#: Exit reasons, indexed by ``Population.exit_reason``.
EXIT_REASONS = ("cessation", "death", "emigration")
NEVER = 9999


@dataclass
class Population:
    """Everyone who used drugs at some time in the simulated years (arrays of equal length)."""

    region: np.ndarray  # int16 index into profile.regions
    female: np.ndarray  # bool
    birth_year: np.ndarray  # int16
    entry_year: np.ndarray  # int16
    exit_year: np.ndarray  # int16, first year no longer active
    exit_reason: np.ndarray  # int8 index into EXIT_REASONS
    drug: np.ndarray  # int8 index into DRUGS
    injects: np.ndarray  # bool
    hiv_year: np.ndarray  # int16, year of infection or NEVER
    hcv: np.ndarray  # bool
    visibility: np.ndarray  # float32, mean 1: individual heterogeneity of contact rates

    def __len__(self) -> int:
        return len(self.region)

    def active(self, year: int) -> np.ndarray:
        """Boolean mask of the people using drugs in ``year``."""
        return (self.entry_year <= year) & (self.exit_year > year)


def regional_targets(profile: CountryProfile, scale: float, growth: float, year: int):
    """Target number of active users per region in ``year`` (float array)."""
    weights = np.array([r.population * r.concentration for r in profile.regions], dtype=float)
    national = profile.users_mid * scale * (1.0 + growth) ** (year - 2003)
    return national * weights / weights.sum()


def _new_people(
    rng: np.random.Generator, params: Parameters, counts: np.ndarray, year: int
) -> dict[str, np.ndarray]:
    """Draw the attributes of ``counts[r]`` people starting to use in region r in ``year``."""
    n = int(counts.sum())
    region = np.repeat(np.arange(len(counts), dtype=np.int16), counts)
    female = rng.random(n) >= params.male_share
    onset = 14 + rng.gamma(params.onset_shape, params.onset_scale, n)
    birth_year = (year - np.floor(onset)).astype(np.int16)

    heroin = params.heroin_share(year)
    shares = {"1.1": heroin, "1.5": params.opioid_share - heroin, **NON_OPIOID_SHARES}
    probs = np.array([shares[d] for d in DRUGS])
    drug = rng.choice(len(DRUGS), size=n, p=probs / probs.sum()).astype(np.int8)
    inject_p = np.array([INJECTING_BY_DRUG[d] for d in DRUGS])[drug]
    injects = rng.random(n) < inject_p

    death = np.where(injects, params.death_injecting, params.death_other)
    total = params.cessation + death + params.emigration
    duration = rng.geometric(total)  # years active, at least one
    u = rng.random(n) * total
    exit_reason = np.where(
        u < params.cessation, 0, np.where(u < params.cessation + death, 1, 2)
    ).astype(np.int8)
    hcv = rng.random(n) < np.where(injects, params.hcv_injecting, params.hcv_other)
    sigma = params.heterogeneity
    visibility = np.exp(sigma * rng.standard_normal(n) - sigma**2 / 2).astype(np.float32)
    return {
        "region": region,
        "female": female,
        "birth_year": birth_year,
        "entry_year": np.full(n, year, dtype=np.int16),
        "exit_year": (year + duration).astype(np.int16),
        "exit_reason": exit_reason,
        "drug": drug,
        "injects": injects,
        "hiv_year": np.full(n, NEVER, dtype=np.int16),
        "hcv": hcv,
        "visibility": visibility,
    }


def hiv_incidence(params: Parameters, hiv_max: float, year: int) -> float:
    """Yearly HIV incidence among injectors: near zero before ``hiv_onset``, then rising."""
    if year <= params.hiv_onset:
        return params.hiv_background
    ramp = min(1.0, (year - params.hiv_onset) / params.hiv_ramp_years)
    return max(params.hiv_background, hiv_max * ramp)


def simulate_population(
    rng: np.random.Generator,
    profile: CountryProfile,
    params: Parameters,
    first_year: int,
    last_year: int,
    scale: float,
) -> Population:
    """Simulate the hidden population year by year from the burn-in to ``last_year``."""
    start = first_year - params.burn_in_years
    parts: list[dict[str, np.ndarray]] = []
    active_per_region = np.zeros(len(profile.regions))
    for year in range(start, last_year + 1):
        target = regional_targets(profile, scale, params.growth, year)
        if parts:
            # survivors of earlier cohorts still active this year, per region
            active_per_region = np.zeros(len(profile.regions))
            for part in parts:
                alive = part["exit_year"] > year
                active_per_region += np.bincount(
                    part["region"][alive], minlength=len(profile.regions)
                )
        deficit = np.maximum(target - active_per_region, 0.0)
        counts = rng.poisson(deficit)
        part = _new_people(rng, params, counts, year)
        if year == start:
            # the initial stock started in earlier years: spread entry over the past decade
            shift = rng.integers(0, 10, len(part["region"]))
            part["entry_year"] = (part["entry_year"] - shift).astype(np.int16)
        parts.append(part)
    people = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    population = Population(**people)
    _infect(rng, population, params, profile.hiv_incidence_max, start, last_year)
    return population


def _infect(
    rng: np.random.Generator,
    population: Population,
    params: Parameters,
    hiv_max: float,
    start: int,
    last_year: int,
) -> None:
    """Draw the year of HIV infection of each injector (in place)."""
    for year in range(start, last_year + 1):
        at_risk = population.injects & population.active(year) & (population.hiv_year == NEVER)
        idx = np.flatnonzero(at_risk)
        infected = idx[rng.random(len(idx)) < hiv_incidence(params, hiv_max, year)]
        population.hiv_year[infected] = year
