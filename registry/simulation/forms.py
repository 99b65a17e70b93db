"""The forms a clinic would submit for each simulated episode, exactly as a browser posts them.

Every value is a string (or a list of strings for ``secondary_drugs``), with the four
identifying fields typed by the clerk (:meth:`Identities.typed`). The writer passes these
forms to the same marshmallow schemas the web forms use.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from registry.schemas.clients import age_on
from registry.simulation.admissions import SECONDARY
from registry.simulation.simulate import Simulation

ITEM_FIELDS = (
    "ever_treated", "referral_source", "living_with", "living_with_children", "living_where",
    "education", "labour_status", "primary_drug", "route", "frequency", "injecting",
    "needle_sharing", "hiv_testing", "hcv_testing",
)  # fmt: skip


def _day(value: np.datetime64) -> date:
    return value.astype(date)


def ost_history(sim: Simulation) -> dict[int, tuple[date, date | None]]:
    """Each enrolled person's first OST enrolment date and exit (``None`` while on OST)."""
    history: dict[int, tuple[date, date | None]] = {}
    for enrolment in sim.enrolments:
        exit_date = _day(enrolment.exit_date) if enrolment.exit_date is not None else None
        history.setdefault(enrolment.person, (_day(enrolment.enrolment_date), exit_date))
    return history


def admission_form(
    sim: Simulation, i: int, history: dict[int, tuple[date, date | None]]
) -> dict[str, str | list[str]]:
    """The new-admission form of episode ``i`` (identifiers, residence, programme, TDI)."""
    episodes, population = sim.episodes, sim.population
    person = int(episodes.person[i])
    latin, has_typo, seed = episodes.typing
    form: dict[str, str | list[str]] = dict(
        sim.identities.typed(person, bool(latin[i]), int(seed[i]) if has_typo[i] else None)
    )
    admitted = _day(episodes.admission[i])
    age = age_on(date.fromisoformat(str(form["birth_date"])), admitted)
    items = episodes.items
    for name in ITEM_FIELDS:
        form[name] = str(items.items[name][i])
    onset = int(population.entry_year[person]) - int(population.birth_year[person])
    first_use = min(max(onset, 5), age)
    form["age_first_use"] = str(first_use)
    if population.injects[person]:
        lag = int(items.first_injection_lag[i])
        form["age_first_injection"] = str(min(first_use + lag, age))
    primary = form["primary_drug"]
    form["secondary_drugs"] = [d for d in SECONDARY[items.secondary[i]] if d != primary]
    form["region_code"] = sim.region_codes[population.region[person]]
    form["programme"] = str(episodes.programme[i])
    form["admission_date"] = admitted.isoformat()
    form["ost_history"] = "1"
    if episodes.enrolment[i] < 0 and person in history:
        started, ended = history[person]
        if started <= admitted:
            form["ost_history"] = "3" if ended is None or ended > admitted else "2"
            form["ost_first_year"] = str(started.year)
    return form


def discharge_form(sim: Simulation, i: int) -> dict[str, str] | None:
    """The discharge form of episode ``i``, or ``None`` while it is open."""
    discharge = sim.episodes.discharge[i]
    if np.isnat(discharge):
        return None
    return {
        "discharge_date": _day(discharge).isoformat(),
        "discharge_reason": str(sim.episodes.discharge_reason[i]),
    }


def lab_forms(sim: Simulation, i: int) -> list[dict[str, str]]:
    """The lab-test forms recorded for episode ``i`` (HIV, HCV, TB at admission)."""
    items, episodes, population = sim.episodes.items, sim.episodes, sim.population
    person = int(episodes.person[i])
    sample = episodes.admission[i] + int(items.lab_delay[i])
    if not np.isnat(episodes.discharge[i]):
        sample = min(sample, episodes.discharge[i])
    day = _day(sample).isoformat()
    year = _day(sample).year
    noise = float(items.lab_noise[i])
    forms = []
    if items.lab_hiv[i]:
        positive = population.hiv_year[person] <= year
        result = "indeterminate" if noise < 0.01 else ("positive" if positive else "negative")
        forms.append({"test": "HIV", "sample_date": day, "result": result})
    if items.lab_hcv[i]:
        result = "positive" if population.hcv[person] else "negative"
        forms.append({"test": "HCV", "sample_date": day, "result": result})
    if items.lab_tb[i]:
        positive = noise > 1 - sim.params.tb_positive
        forms.append({"test": "TB", "sample_date": day, "result": "positive" if positive else "negative"})
    return forms
