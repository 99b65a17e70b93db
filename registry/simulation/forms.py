"""The forms a clinic would submit for each simulated episode, exactly as a browser posts them.

Every value is a string (or a list of strings for ``secondary_drugs``), with the four
identifying fields typed by the clerk (:meth:`Identities.typed`). The writer passes these
forms to the same marshmallow schemas the web forms use.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import numpy as np

from registry.schemas.clients import age_on
from registry.simulation.admissions import SECONDARY
from registry.simulation.simulate import Simulation

ITEM_FIELDS = (
    "ever_treated", "referral_source", "living_with", "living_with_children", "living_where",
    "education", "labour_status", "primary_drug", "route", "frequency", "injecting",
    "needle_sharing", "hiv_testing", "hcv_testing", "polydrug_use",
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


class _Columns:
    """Episode, person and item columns of ``lo..hi`` as Python lists (fast row access)."""

    def __init__(self, sim: Simulation, lo: int, hi: int) -> None:
        episodes, population, items = sim.episodes, sim.population, sim.episodes.items
        self.person = episodes.person[lo:hi].tolist()
        latin, has_typo, seed = episodes.typing
        self.latin = latin[lo:hi].tolist()
        self.typo_seed = np.where(has_typo[lo:hi], seed[lo:hi], -1).tolist()
        self.admission = episodes.admission[lo:hi].astype(date).tolist()
        self.discharge = episodes.discharge[lo:hi].astype(object).tolist()
        self.discharge_reason = episodes.discharge_reason[lo:hi].tolist()
        self.programme = episodes.programme[lo:hi].tolist()
        self.enrolment = episodes.enrolment[lo:hi].tolist()
        self.items = {name: items.items[name][lo:hi].tolist() for name in ITEM_FIELDS}
        self.secondary = items.secondary[lo:hi].tolist()
        self.lag = items.first_injection_lag[lo:hi].tolist()
        people = episodes.person[lo:hi]
        self.onset = (population.entry_year[people] - population.birth_year[people]).tolist()
        self.injects = population.injects[people].tolist()
        codes = sim.region_codes
        self.region = [codes[r] for r in population.region[people].tolist()]
        self.hiv_year = population.hiv_year[people].tolist()
        self.hcv = population.hcv[people].tolist()
        self.lab = list(zip(items.lab_hiv[lo:hi].tolist(), items.lab_hcv[lo:hi].tolist(),
                            items.lab_tb[lo:hi].tolist(), items.lab_delay[lo:hi].tolist(),
                            items.lab_noise[lo:hi].tolist(), strict=True))  # fmt: skip


def episode_forms(
    sim: Simulation, lo: int, hi: int, history: dict[int, tuple[date, date | None]]
) -> Iterator[tuple[int, dict[str, Any], dict[str, str] | None, list[dict[str, str]]]]:
    """(index, admission form, discharge form or None, lab-test forms) of episodes lo..hi."""
    c = _Columns(sim, lo, hi)
    tb_positive = 1 - sim.params.tb_positive
    for k in range(hi - lo):
        person = c.person[k]
        seed = c.typo_seed[k]
        form: dict[str, Any] = dict(
            sim.identities.typed(person, c.latin[k], seed if seed >= 0 else None)
        )
        admitted = c.admission[k]
        age = age_on(date.fromisoformat(form["birth_date"]), admitted)
        for name in ITEM_FIELDS:
            form[name] = c.items[name][k]
        first_use = min(max(c.onset[k], 5), age)
        form["age_first_use"] = str(first_use)
        if c.injects[k]:
            form["age_first_injection"] = str(min(first_use + c.lag[k], age))
        primary = form["primary_drug"]
        form["secondary_drugs"] = [d for d in SECONDARY[c.secondary[k]] if d != primary]
        form["region_code"] = c.region[k]
        form["programme"] = c.programme[k]
        form["admission_date"] = admitted.isoformat()
        form["ost_history"] = "1"
        if c.enrolment[k] < 0 and person in history:
            started, ended = history[person]
            if started <= admitted:
                form["ost_history"] = "3" if ended is None or ended > admitted else "2"
                form["ost_first_year"] = str(started.year)
        discharged = c.discharge[k]
        discharge = None
        if discharged is not None:
            discharge = {"discharge_date": discharged.isoformat(),
                         "discharge_reason": c.discharge_reason[k]}  # fmt: skip
        hiv, hcv, tb, delay, noise = c.lab[k]
        labs = []
        if hiv or hcv or tb:
            sample = admitted + timedelta(days=delay)
            if discharged is not None:
                sample = min(sample, discharged)
            day = sample.isoformat()
            if hiv:
                positive = c.hiv_year[k] <= sample.year
                result = (
                    "indeterminate" if noise < 0.01 else ("positive" if positive else "negative")
                )
                labs.append({"test": "HIV", "sample_date": day, "result": result})
            if hcv:
                labs.append({"test": "HCV", "sample_date": day,
                             "result": "positive" if c.hcv[k] else "negative"})  # fmt: skip
            if tb:
                result = "positive" if noise > tb_positive else "negative"
                labs.append({"test": "TB", "sample_date": day, "result": result})
        yield lo + k, form, discharge, labs


def admission_form(
    sim: Simulation, i: int, history: dict[int, tuple[date, date | None]]
) -> dict[str, Any]:
    """The new-admission form of episode ``i`` (identifiers, residence, programme, TDI)."""
    return next(episode_forms(sim, i, i + 1, history))[1]
