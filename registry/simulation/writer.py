"""Bulk writer: every simulated form goes through the real schemas, then Core bulk inserts.

Per episode: :func:`forms.admission_form` builds what the browser would post, the web's
``AdmissionSchema`` / ``DischargeSchema`` / ``LabTestSchema`` load it (the one validation
layer), and the client code comes from the loaded ``ClientIdentifiers`` through
:func:`registry.services.client_codes.client_code`. A form the schemas reject is counted
and skipped, as a clinic's would be. Rows are then inserted with Core ``executemany`` in
large batches, with explicit ids (sequences are moved past them on PostgreSQL).

Validation and coding are pure per episode, so with ``workers > 1`` chunks are prepared
in forked processes while the parent inserts (the bench uses this; tests use one worker).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Connection, func, insert, select

from registry.models import Client, LabTest, TreatmentEpisode
from registry.schemas import AdmissionSchema, DischargeSchema, LabTestSchema
from registry.schemas.clients import age_on
from registry.services.episodes import EPISODE_FIELDS
from registry.simulation import forms
from registry.simulation.identities import Coder
from registry.simulation.simulate import Simulation

#: Episodes per prepared chunk (and per insert batch).
CHUNK = 20_000

_STATE: dict[str, Any] = {}  # inherited by forked workers: the simulation and the key


@dataclass
class WriteSummary:
    """Counts of what was written and of the forms the schemas rejected."""

    clients: int = 0
    episodes: int = 0
    lab_tests: int = 0
    rejected: dict[str, int] = field(default_factory=dict)

    def reject(self, form: str) -> None:
        """Count one rejected form of kind ``form``."""
        self.rejected[form] = self.rejected.get(form, 0) + 1


def stamp(day: date) -> datetime:
    """Deterministic creation time of a record entered on ``day`` (noon UTC)."""
    return datetime.combine(day, time(12), tzinfo=UTC)


def _prepare(bounds: tuple[int, int]) -> tuple[list[tuple], dict[str, int]]:
    """Validate and code episodes ``lo..hi``: (code, sex, birth year, region, episode, labs)."""
    sim: Simulation = _STATE["sim"]
    if "schemas" not in _STATE:
        _STATE["schemas"] = (AdmissionSchema(), DischargeSchema(), LabTestSchema())
        _STATE["coder"] = Coder(_STATE["key"])
    admission_schema, discharge_schema, lab_schema = _STATE["schemas"]
    coder: Coder = _STATE["coder"]
    if "history" not in _STATE:
        _STATE["history"] = forms.ost_history(sim)
    history = _STATE["history"]
    rows: list[tuple] = []
    rejected: dict[str, int] = {}
    for i, admission_form, discharge_form, lab_forms in forms.episode_forms(sim, *bounds, history):
        try:
            data = admission_schema.load(admission_form)
            discharge = discharge_schema.load(discharge_form) if discharge_form else None
        except ValidationError:
            rejected["admission"] = rejected.get("admission", 0) + 1
            continue
        ids = data.pop("identifiers")
        episode = {name: data[name] for name in EPISODE_FIELDS}
        episode["age_at_admission"] = age_on(ids.birth_date, data["admission_date"])
        if discharge is not None:
            if discharge["discharge_date"] < data["admission_date"]:
                rejected["discharge"] = rejected.get("discharge", 0) + 1
            else:
                episode.update(discharge)
        labs = []
        for lab_form in lab_forms:
            try:
                labs.append(lab_schema.load(lab_form))
            except ValidationError:
                rejected["lab_test"] = rejected.get("lab_test", 0) + 1
        code = coder.code_of(ids)
        rows.append((i, code, ids.sex, ids.birth_date.year, data["region_code"], episode, labs))
    return rows, rejected


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def prepared_chunks(sim: Simulation, key: str, workers: int) -> Iterator[tuple[list, dict]]:
    """Prepared chunks in episode order, from ``workers`` forked processes or inline."""
    _STATE.clear()
    _STATE.update(sim=sim, key=key)
    bounds = _chunks(len(sim.episodes), CHUNK)
    if workers <= 1 or len(bounds) <= 1:
        for chunk in bounds:
            yield _prepare(chunk)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        yield from pool.imap(_prepare, bounds)


def next_id(connection: Connection, model: Any) -> int:
    """The first free primary key of ``model``'s table."""
    return int(connection.scalar(select(func.coalesce(func.max(model.id), 0)))) + 1


def write_episodes(
    connection: Connection,
    sim: Simulation,
    key: str,
    *,
    centres: dict[str, int],
    regions: dict[str, int],
    workers: int = 1,
) -> tuple[WriteSummary, dict[int, tuple[int, int]]]:
    """Insert clients, episodes and their lab tests.

    Returns the counts and, per written episode index, its (episode id, client id).
    """
    summary = WriteSummary()
    codes: dict[str, int] = dict(connection.execute(select(Client.code, Client.id)).all())
    client_id, episode_id, lab_id = (next_id(connection, m) for m in (Client, TreatmentEpisode,
                                                                       LabTest))  # fmt: skip
    episode_ids: dict[int, tuple[int, int]] = {}
    for rows, rejected in prepared_chunks(sim, key, workers):
        for form, count in rejected.items():
            summary.rejected[form] = summary.rejected.get(form, 0) + count
        new_clients, episodes, labs = [], [], []
        for i, code, sex, birth_year, region, episode, lab_rows in rows:
            created = stamp(episode["admission_date"])
            if code not in codes:
                codes[code] = client_id
                new_clients.append({"id": client_id, "code": code, "sex": sex,
                                    "birth_year": birth_year, "region_id": regions[region],
                                    "created_at": created})  # fmt: skip
                client_id += 1
            episode.setdefault("discharge_date", None)
            episode.setdefault("discharge_reason", None)
            centre = centres[str(sim.episodes.centre[i])]
            episodes.append({**episode, "id": episode_id, "client_id": codes[code],
                             "centre_id": centre, "created_at": created,
                             "updated_at": stamp(episode["discharge_date"] or
                                                 episode["admission_date"]),
                             "created_by_id": None})  # fmt: skip
            episode_ids[i] = (episode_id, codes[code])
            for lab in lab_rows:
                sampled = stamp(lab["sample_date"])
                labs.append({**lab, "id": lab_id, "client_id": codes[code], "centre_id": centre,
                             "created_at": sampled, "updated_at": sampled,
                             "created_by_id": None})  # fmt: skip
                lab_id += 1
            episode_id += 1
        for model, batch in ((Client, new_clients), (TreatmentEpisode, episodes),
                             (LabTest, labs)):  # fmt: skip
            if batch:
                connection.execute(insert(model.__table__), batch)
        summary.clients += len(new_clients)
        summary.episodes += len(episodes)
        summary.lab_tests += len(labs)
    return summary, episode_ids
