"""``load_demo``: simulate a country and fill the registry with it (the library behind the CLI).

It runs in the current app context and commits once at the end (the job is the transaction
boundary). On SQLite it relaxes durability for the bulk load (``synchronous=OFF``, a large
page cache) and restores it afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Connection, func, select, text

from registry.demo import DemoRefusedError
from registry.extensions import db
from registry.models import (
    Client,
    DoseChange,
    DosingEvent,
    LabTest,
    OstEnrolment,
    TreatmentEpisode,
)
from registry.services.audit import record_event
from registry.services.last_contact import recompute as recompute_last_contacts
from registry.simulation import reference
from registry.simulation.ost_writer import write_ost
from registry.simulation.outputs import BackgroundLists, write_lists, write_truth
from registry.simulation.parameters import Parameters
from registry.simulation.simulate import simulate
from registry.simulation.writer import write_episodes

BULK_TABLES = (Client, TreatmentEpisode, LabTest, OstEnrolment, DoseChange, DosingEvent)


@dataclass
class LoadResult:
    """What one load wrote, the forms the schemas rejected, and how long it took."""

    country: str
    years: tuple[int, int]
    scale: float
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    users: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    #: CPU seconds of this process (not the workers) per step; "indexes" is part of "write"
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    lists: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping (for the truth file and the CLI's output)."""
        return asdict(self)


def parse_years(value: str) -> tuple[int, int]:
    """``"1998-2004"`` -> (1998, 2004); ``"2003"`` -> (2003, 2003)."""
    first, _, last = value.partition("-")
    first_year, last_year = int(first), int(last or first)
    if not 1990 <= first_year <= last_year < date.today().year:
        raise ValueError("years must look like 1998-2004: from 1990 to last year, first <= last")
    return first_year, last_year


def load_demo(
    country: str = "KG",
    years: tuple[int, int] = (1998, 2004),
    scale: float = 1.0,
    seed: int = 2003,
    *,
    truth_out: Path | None = None,
    lists_out: Path | None = None,
    workers: int = 1,
    params: Parameters | None = None,
    with_users: bool = True,
) -> LoadResult:
    """Simulate ``country`` over ``years`` and write the registry, lists and truth."""
    if with_users and current_app.config["REGISTRY_ENV"] == "production":
        raise DemoRefusedError("the demo (with its password 'demo') is never loaded in production")
    result = LoadResult(country, years, scale, seed)
    clock, cpu = time.perf_counter(), time.process_time()
    sim = simulate(country, years[0], years[1], scale, seed, params)
    result.seconds["simulate"] = time.perf_counter() - clock
    result.cpu_seconds["simulate"] = time.process_time() - cpu
    key = current_app.config["LINKAGE_KEY"]

    clock, cpu = time.perf_counter(), time.process_time()
    lists = None
    if lists_out is not None and workers > 1:  # coded on a spare core while the parent inserts
        lists = BackgroundLists(sim, key, Path(lists_out))
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # before the first write: SQLite refuses these inside a transaction
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
        cache_size = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        connection.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MiB
        connection.exec_driver_sql("PRAGMA synchronous = OFF")
    try:
        org_units = reference.load_geography(sim.profile)
        result.counts["populations"] = reference.load_populations(
            sim.profile, org_units, range(years[0], years[1] + 1)
        )
        centres = reference.load_centres(sim.profile, org_units)
        if with_users:
            result.users = reference.load_users(sim.profile, centres)
        with without_indexes(connection, (Client, TreatmentEpisode, LabTest)):
            summary, episode_ids = write_episodes(
                connection, sim, key, centres=centres, regions=org_units, workers=workers
            )
            indexing = time.process_time()
        result.cpu_seconds["indexes"] = time.process_time() - indexing
        result.counts.update(clients=summary.clients, episodes=summary.episodes,
                             lab_tests=summary.lab_tests)  # fmt: skip
        result.counts.update(write_ost(connection, sim, episode_ids, summary))
        recompute_last_contacts(connection)  # the bulk insert bypassed the session
        result.rejected = summary.rejected
        _audit(result.counts)
        if connection.dialect.name == "postgresql":
            _sync_sequences(connection)
        db.session.commit()
    except BaseException:
        if lists is not None:
            lists.cancel()
        raise
    finally:
        db.session.rollback()  # no-op after the commit; ends the transaction on error
        if sqlite:
            restore = db.session.connection()
            restore.exec_driver_sql(f"PRAGMA synchronous = {int(synchronous)}")
            restore.exec_driver_sql(f"PRAGMA cache_size = {int(cache_size)}")
            db.session.commit()
    result.seconds["write"] = time.perf_counter() - clock
    result.cpu_seconds["write"] = time.process_time() - cpu

    clock, cpu = time.perf_counter(), time.process_time()
    if lists is not None:
        result.lists = lists.result()
    elif lists_out is not None:
        result.lists = write_lists(sim, key, Path(lists_out))
    if truth_out is not None:
        write_truth(sim, Path(truth_out), {"load": result.as_dict()})
    result.seconds["outputs"] = time.perf_counter() - clock
    result.cpu_seconds["outputs"] = time.process_time() - cpu
    return result


@contextmanager
def without_indexes(connection: Connection, models: tuple[Any, ...]) -> Iterator[None]:
    """Drop the secondary indexes of the still-empty tables of ``models``, recreate them after.

    Building an index once over sorted data is much faster than updating it row by row
    during a bulk insert. The DDL is inside the load's transaction, so a failed load
    leaves the indexes as they were. Unique constraints stay (they guard the data).
    """
    dropped = []
    for model in models:
        table = model.__table__
        if connection.scalar(select(func.count()).select_from(table)):
            continue
        for index in sorted(table.indexes, key=lambda index: index.name):  # a set
            index.drop(connection)
            dropped.append(index)
    yield
    for index in dropped:
        index.create(connection)


def _audit(counts: dict[str, int]) -> None:
    """One audit row per bulk-created entity: who (the loader, no user), what, how many."""
    for entity in ("clients", "episodes", "lab_tests", "ost_enrolments", "dose_changes",
                   "dosing_events"):  # fmt: skip
        if counts.get(entity):
            record_event(None, "create", entity.rstrip("s"), None,
                         detail=f"simulated bulk load: {counts[entity]} rows")  # fmt: skip


def _sync_sequences(connection: Connection) -> None:
    """Move PostgreSQL id sequences past the explicit ids the bulk insert used."""
    for model in BULK_TABLES:
        table = model.__tablename__
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )
