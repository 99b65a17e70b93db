"""The OST pilot: enrolments at the pilot sites, daily dosing, dose changes, interruptions.

Only registered opioid injectors living in a site's regions are enrolled, from the pilot's
start (Kyrgyzstan: RNC Bishkek and the Osh clinic, 2002, about 100 places), filling the
places over ``ost_ramp_months``. Each day on OST is a dosing event (observed, missed,
withheld, or a take-home covering two days). Methadone is inducted from 20-30 mg by 10 mg
every three days to a target of 60-120 mg; a gap of more than two days (the Kyrgyz 2015
protocol limit) is followed by re-induction; completers are tapered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from registry.simulation.parameters import Parameters
from registry.simulation.population import Population
from registry.simulation.profiles import CountryProfile

EXIT_REASONS = ("dropped_out", "interrupted", "imprisoned", "completed", "moved_away",
                "died", "withdrawn", "transferred")  # fmt: skip
EXIT_SHARES = (0.40, 0.15, 0.10, 0.12, 0.08, 0.05, 0.07, 0.03)
DOSE_KINDS = ("observed", "missed", "withheld", "take_home")
OPIOIDS = (0, 1)  # indexes of heroin and opium in parameters.DRUGS


@dataclass
class Enrolment:
    """One client's time on OST at one site, with its dosing and dose changes."""

    person: int
    site: int
    centre: str
    enrolment_date: np.datetime64
    exit_date: np.datetime64 | None
    exit_reason: str | None
    induction_dose: int
    first_maintenance_date: np.datetime64 | None
    dose_dates: np.ndarray = field(repr=False)
    dose_mg: np.ndarray = field(repr=False)
    dose_kind: np.ndarray = field(repr=False)  # index into DOSE_KINDS
    changes: list[tuple[np.datetime64, int, str, str]] = field(repr=False)  # reason code


def simulate_ost(
    rng: np.random.Generator,
    profile: CountryProfile,
    params: Parameters,
    population: Population,
    registered: np.ndarray,
    first_year: int,
    last_year: int,
    scale: float,
) -> list[Enrolment]:
    """Enrol clients month by month at each pilot site; simulate their dosing.

    ``registered`` marks the people on the dispensary register at some time from the year
    before the pilot opened.
    """
    if profile.ost_start is None or profile.ost_start > last_year or not profile.ost_sites:
        return []
    end = np.datetime64(f"{last_year}-12-31")
    region_index = {r.code: i for i, r in enumerate(profile.regions)}
    eligible = registered & population.injects & np.isin(population.drug, OPIOIDS)
    enrolled = np.zeros(len(population), dtype=bool)
    enrolments: list[Enrolment] = []
    months = np.arange(
        np.datetime64(f"{max(profile.ost_start, first_year)}-01"),
        np.datetime64(f"{last_year + 1}-01"),
    )
    for site_no, site in enumerate(profile.ost_sites):
        places = max(1, round(profile.ost_places * scale * site.share))
        regions = [region_index[c] for c in site.regions]
        pool = eligible & np.isin(population.region, regions)
        exits: list[np.datetime64] = []
        for month_no, month in enumerate(months):
            day = month.astype("datetime64[D]")
            year = int(str(month)[:4])
            capacity = int(np.ceil(places * min(1.0, (month_no + 1) / params.ost_ramp_months)))
            active = sum(1 for e in exits if e > day)
            candidates = np.flatnonzero(pool & ~enrolled & population.active(year))
            wanted = min(capacity - active, len(candidates))
            if wanted <= 0:
                continue
            for person in rng.choice(candidates, size=wanted, replace=False):
                enrolled[person] = True
                start = day + int(rng.integers(0, 28))
                enrolment = _enrolment(rng, params, int(person), site_no, site.centre, start, end)
                enrolments.append(enrolment)
                exits.append(enrolment.exit_date or end + 1)
    return enrolments


def _enrolment(
    rng: np.random.Generator,
    params: Parameters,
    person: int,
    site_no: int,
    centre: str,
    start: np.datetime64,
    end: np.datetime64,
) -> Enrolment:
    """One enrolment: its length, exit, dose schedule and daily dosing events."""
    months = int(rng.geometric(params.ost_exit_monthly))
    exit_date: np.datetime64 | None = start + int(months * 30.4)
    reason: str | None = str(rng.choice(EXIT_REASONS, p=EXIT_SHARES))
    if exit_date > end:
        exit_date, reason = None, None
    last = exit_date if exit_date is not None else end
    n_days = int((last - start).astype(int)) + 1
    days = np.arange(n_days)
    target = int(rng.integers(params.ost_target_dose[0] // 5, params.ost_target_dose[1] // 5 + 1))
    target *= 5
    induction = int(rng.choice((20, 30)))
    kind = np.zeros(n_days, dtype=np.int8)
    kind[rng.random(n_days) < 0.04] = 1
    kind[rng.random(n_days) < 0.005] = 2

    gap_days = np.zeros(n_days, dtype=bool)
    changes: list[tuple[int, int, str, str]] = []  # (day, mg, phase, reason code)
    restarts = [0]
    for month in range(n_days // 30):
        if rng.random() < params.ost_interruption_monthly:
            gap_start = month * 30 + int(rng.integers(5, 25))
            gap = int(rng.integers(3, 11))
            if gap_start + gap + 1 < n_days:
                gap_days[gap_start : gap_start + gap] = True
                restarts.append(gap_start + gap)
    first_maintenance = None
    for restart_no, restart in enumerate(restarts):
        dose, day_no = (induction if restart_no == 0 else 30), restart
        why = "induction" if restart_no == 0 else "missed_doses"  # re-induction after a gap
        while dose < target and day_no < n_days:
            changes.append((day_no, dose, "induction", why))
            why = "induction"
            dose, day_no = min(dose + 10, target), day_no + 3
        if day_no < n_days:
            changes.append((day_no, target, "maintenance", "induction"))
            if first_maintenance is None:
                first_maintenance = day_no
        review = day_no + 90
        stop = restarts[restart_no + 1] if restart_no + 1 < len(restarts) else n_days
        while review < stop:
            if rng.random() < 0.3:
                target = int(min(max(target + int(rng.choice((-10, 10))), 40), 160))
                changes.append((review, target, "maintenance", "clinical_review"))
            review += 90
    if reason == "completed" and n_days > 90:
        taper_days = min(60, n_days // 3)
        for step, day_no in enumerate(range(n_days - taper_days, n_days, 7)):
            dose = max(5, target - (step + 1) * max(5, target // (taper_days // 7 + 1)))
            changes.append((day_no, dose, "tapering", "planned_tapering"))
    changes.sort(key=lambda c: c[0])
    change_days = np.array([c[0] for c in changes] or [0])
    change_dose = np.array([c[1] for c in changes] or [induction])
    dose = change_dose[np.maximum(np.searchsorted(change_days, days, side="right") - 1, 0)]

    # take-home doses after six months: two days' supply, no visit the next day
    keep = ~gap_days  # an interruption leaves no dosing record at all
    take_home = np.flatnonzero((days > 180) & (kind == 0) & (rng.random(n_days) < 0.03))
    take_home = take_home[take_home + 1 < n_days]
    take_home = take_home[np.r_[True, np.diff(take_home) > 1]] if len(take_home) else take_home
    kind[take_home] = 3
    keep[take_home + 1] = False
    if reason in ("dropped_out", "interrupted"):
        keep[max(0, n_days - int(rng.integers(3, 8))) :] = False  # stopped coming
        keep[0] = True
    dose_mg = np.where(kind == 1, 0, dose)
    return Enrolment(
        person=person,
        site=site_no,
        centre=centre,
        enrolment_date=start,
        exit_date=exit_date,
        exit_reason=reason,
        induction_dose=induction,
        first_maintenance_date=(start + first_maintenance) if first_maintenance else None,
        dose_dates=start + days[keep],
        dose_mg=dose_mg[keep],
        dose_kind=kind[keep],
        changes=[(start + d, mg, phase, why) for d, mg, phase, why in changes],
    )
