"""Write OST enrolments, dose changes and dosing events through the OST forms' schemas."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from marshmallow import ValidationError
from sqlalchemy import Connection, insert, select

from registry.models import DoseChange, DosingEvent, OstEnrolment, TreatmentCentre
from registry.schemas import DoseChangeSchema, DoseSchema, OstEnrolmentSchema, OstExitSchema
from registry.schemas.ost import MAX_DOSE_MG
from registry.simulation.ost import DOSE_KINDS, Enrolment
from registry.simulation.simulate import Simulation
from registry.simulation.writer import MemoisedLoad, WriteSummary, next_id, stamp


def _day(value: np.datetime64) -> str:
    return value.astype(date).isoformat()


def enrolment_form(enrolment: Enrolment, episode_id: int) -> dict[str, str]:
    """The OST enrolment form as staff fill it in."""
    form = {
        "medication": "methadone",
        "enrolment_date": _day(enrolment.enrolment_date),
        "induction_dose_mg": str(enrolment.induction_dose),
        "episode_id": str(episode_id),
    }
    if enrolment.first_maintenance_date is not None:
        form["first_maintenance_date"] = _day(enrolment.first_maintenance_date)
    return form


def write_ost(
    connection: Connection,
    sim: Simulation,
    episode_ids: dict[int, tuple[int, int]],
    summary: WriteSummary,
) -> dict[str, int]:
    """Insert every enrolment whose OST episode was written, with its doses; return counts."""
    schemas = (OstEnrolmentSchema(), OstExitSchema(), MemoisedLoad(DoseChangeSchema()),
               MemoisedLoad(DoseSchema()))  # fmt: skip
    enrolment_schema, exit_schema, change_schema, dose_schema = schemas
    index_of = {int(e): i for i, e in enumerate(sim.episodes.enrolment) if e >= 0}
    centres = dict(connection.execute(select(TreatmentCentre.code, TreatmentCentre.id)).all())
    enrolment_id = next_id(connection, OstEnrolment)
    change_id, dose_id = next_id(connection, DoseChange), next_id(connection, DosingEvent)
    enrolments: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    doses: list[dict[str, Any]] = []
    on_ost: set[int] = set()  # the service allows one open enrolment per client
    for number, enrolment in enumerate(sim.enrolments):
        written = episode_ids.get(index_of.get(number, -1))
        if written is None:
            continue
        episode_id, client_id = written
        if enrolment.exit_date is None:
            if client_id in on_ost:
                summary.reject("ost_enrolment")
                continue
            on_ost.add(client_id)
        try:
            data = enrolment_schema.load(enrolment_form(enrolment, episode_id))
            exit_data = (
                exit_schema.load(
                    {"exit_date": _day(enrolment.exit_date), "exit_reason": enrolment.exit_reason}
                )  # fmt: skip
                if enrolment.exit_date is not None
                else {"exit_date": None, "exit_reason": None}
            )
        except ValidationError:
            summary.reject("ost_enrolment")
            continue
        created = stamp(data["enrolment_date"])
        enrolments.append({
            "id": enrolment_id, "client_id": client_id, "centre_id": centres[enrolment.centre],
            "episode_id": episode_id, "medication": data["medication"],
            "enrolment_date": data["enrolment_date"],
            "induction_dose_mg": data["induction_dose_mg"],
            "first_maintenance_date": data["first_maintenance_date"],
            "transferred_from_id": None, **exit_data, "created_at": created,
            "updated_at": stamp(exit_data["exit_date"] or data["enrolment_date"]),
            "created_by_id": None,
        })  # fmt: skip
        for day, mg, phase, reason in enrolment.changes:
            form = {"effective_date": _day(day), "dose_mg": str(mg), "phase": phase,
                    "reason": reason}  # fmt: skip
            try:
                change = change_schema.load(form)
            except ValidationError:
                summary.reject("dose_change")
                continue
            changes.append({"id": change_id, "enrolment_id": enrolment_id,
                            "prescribed_by_id": None, **change})  # fmt: skip
            change_id += 1
        for day, mg, kind in zip(enrolment.dose_dates, enrolment.dose_mg, enrolment.dose_kind,
                                 strict=True):  # fmt: skip
            kind_name = DOSE_KINDS[kind]
            form = {"dose_date": _day(day), "kind": kind_name}
            if kind_name in ("observed", "take_home"):
                form["dose_mg"] = str(int(mg))
            if kind_name == "take_home":
                form["take_home_days"] = "2"
            try:
                dose = dose_schema.load(form)
            except ValidationError:
                summary.reject("dose")
                continue
            if dose["dose_mg"] > Decimal(MAX_DOSE_MG["methadone"]):
                summary.reject("dose")
                continue
            doses.append({"id": dose_id, "enrolment_id": enrolment_id,
                          "dispensed_by_id": None, **dose})  # fmt: skip
            dose_id += 1
        enrolment_id += 1
    for model, rows in ((OstEnrolment, enrolments), (DoseChange, changes), (DosingEvent, doses)):
        for start in range(0, len(rows), 50_000):
            connection.execute(insert(model.__table__), rows[start : start + 50_000])
    return {"ost_enrolments": len(enrolments), "dose_changes": len(changes),
            "dosing_events": len(doses)}  # fmt: skip
