"""The demo OST pilot: about 100 opioid injectors on methadone at the Osh clinic.

Enrolments from February 2002 to late 2004, each with an ``ost`` treatment episode;
induction at 20-30 mg rising by 10 mg every 4 days to a maintenance dose of 60-120 mg
(dose changes), one dosing event a day (about 5% missed), and exits for drop-out,
interruption, imprisonment or completion (with a tapering step). Rows are bulk-inserted.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import insert

from registry.extensions import db
from registry.models import DoseChange, DosingEvent, OstEnrolment, TreatmentEpisode
from registry.schemas.clients import age_on

from .records import END, DemoPerson, pick

PILOT_START = date(2002, 2, 1)
PILOT_CENTRE, PILOT_SIZE = "OSH", 100
EXITS = {"dropped_out": 0.2, "interrupted": 0.08, "imprisoned": 0.04, "completed": 0.04,
         "stays": 0.64}  # fmt: skip
EXIT_TO_DISCHARGE = {"dropped_out": "dropped_out", "interrupted": "dropped_out",
                     "imprisoned": "imprisoned", "completed": "completed"}  # fmt: skip


def load_ost_pilot(rng: np.random.Generator, persons: list[DemoPerson],
                   centres: dict[str, int]) -> int:  # fmt: skip
    """Enrol up to :data:`PILOT_SIZE` Osh clients; return the number enrolled."""
    candidates = [p for p in persons if p.centre == PILOT_CENTRE and p.opioid_injector]
    chosen = rng.choice(len(candidates), size=min(PILOT_SIZE, len(candidates)), replace=False)
    centre_id = centres[PILOT_CENTRE]
    span = (END - timedelta(days=60) - PILOT_START).days
    plans = []
    for index in sorted(chosen):
        person = candidates[index]
        start = PILOT_START + timedelta(days=int(rng.integers(0, span)))
        reason = pick(rng, EXITS)
        end = start + timedelta(days=int(30 + rng.exponential(400)))
        exit_date = end if reason != "stays" and end <= END else None
        plans.append((person, start, exit_date, reason if exit_date else None))

    episode_rows = [_episode(person, centre_id, start, exit_date, reason)
                    for person, start, exit_date, reason in plans]  # fmt: skip
    episode_ids = db.session.scalars(
        insert(TreatmentEpisode).returning(TreatmentEpisode.id, sort_by_parameter_order=True),
        episode_rows,
    ).all()
    changes, doses, enrolments = [], [], []
    for (person, start, exit_date, reason), episode_id in zip(plans, episode_ids, strict=True):
        schedule = _dose_schedule(rng, start, exit_date, reason)
        first_maintenance = next(day for day, _mg, phase in schedule if phase == "maintenance")
        enrolments.append({
            "client_id": person.client_id, "centre_id": centre_id, "episode_id": episode_id,
            "medication": "methadone", "enrolment_date": start,
            "induction_dose_mg": schedule[0][1], "first_maintenance_date": first_maintenance,
            "transferred_from_id": None, "exit_date": exit_date, "exit_reason": reason,
            "created_by_id": None,
        })  # fmt: skip
        changes.append(schedule)
    enrolment_ids = db.session.scalars(
        insert(OstEnrolment).returning(OstEnrolment.id, sort_by_parameter_order=True), enrolments
    ).all()
    change_rows = []
    for enrolment_id, enrolment, schedule in zip(enrolment_ids, enrolments, changes, strict=True):
        change_rows += [{"enrolment_id": enrolment_id, "effective_date": day, "dose_mg": mg,
                         "phase": phase, "reason": None, "prescribed_by_id": None}
                        for day, mg, phase in schedule]  # fmt: skip
        doses += _dosing_rows(rng, enrolment_id, enrolment, schedule)
    db.session.execute(insert(DoseChange), change_rows)
    db.session.execute(insert(DosingEvent), doses)
    return len(enrolments)


def _episode(person: DemoPerson, centre_id: int, start: date, exit_date: date | None,
             reason: str | None) -> dict[str, Any]:  # fmt: skip
    """The ``ost`` treatment episode of an enrolment (TDI items from the last admission)."""
    data = person.last_admission
    keep = ("ever_treated", "referral_source", "living_with", "living_with_children",
            "living_where", "education", "labour_status", "primary_drug", "route", "frequency",
            "age_first_use", "secondary_drugs", "injecting", "age_first_injection",
            "needle_sharing", "hiv_testing", "hcv_testing")  # fmt: skip
    return {
        **{name: data[name] for name in keep},
        "ever_treated": "2", "referral_source": "3", "ost_history": "1", "ost_first_year": None,
        "client_id": person.client_id, "centre_id": centre_id, "programme": "ost",
        "admission_date": start, "age_at_admission": age_on(person.birth_date, start),
        "discharge_date": exit_date,
        "discharge_reason": EXIT_TO_DISCHARGE[reason] if reason else None,
        "created_by_id": None,
    }  # fmt: skip


def _dose_schedule(rng: np.random.Generator, start: date, exit_date: date | None,
                   reason: str | None) -> list[tuple[date, Decimal, str]]:  # fmt: skip
    """Dose changes: induction steps, maintenance, and tapering before a completion."""
    dose = int(rng.choice([20, 25, 30]))
    target = int(rng.choice([60, 70, 80, 90, 100, 120], p=[0.2, 0.2, 0.25, 0.15, 0.12, 0.08]))
    day, schedule = start, [(start, Decimal(dose), "induction")]
    while dose < target:
        day, dose = day + timedelta(days=4), min(target, dose + 10)
        schedule.append((day, Decimal(dose), "maintenance" if dose == target else "induction"))
    if reason == "completed" and exit_date and (exit_date - day).days > 40:
        schedule.append((exit_date - timedelta(days=30), Decimal(dose // 2), "tapering"))
    return schedule


def _dosing_rows(rng: np.random.Generator, enrolment_id: int, enrolment: dict[str, Any],
                 schedule: list[tuple[date, Decimal, str]]) -> list[dict[str, Any]]:  # fmt: skip
    """One row a day from enrolment to exit (or the end of 2004), ~5% missed."""
    start = enrolment["enrolment_date"]
    last = enrolment["exit_date"] or END
    n_days = (last - start).days + 1
    change_days = np.array([(day - start).days for day, _mg, _phase in schedule])
    change_mg = [mg for _day, mg, _phase in schedule]
    which = np.searchsorted(change_days, np.arange(n_days), side="right") - 1
    missed = rng.random(n_days) < 0.05
    return [
        {"enrolment_id": enrolment_id, "dose_date": start + timedelta(days=offset),
         "dose_mg": Decimal(0) if missed[offset] else change_mg[which[offset]],
         "kind": "missed" if missed[offset] else "observed", "take_home_days": 1,
         "dispensed_by_id": None}
        for offset in range(n_days)
    ]  # fmt: skip
