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
from functools import cache
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import JSON, Connection, Date, DateTime, func, select

from registry.models import Client, LabTest, TreatmentEpisode
from registry.schemas import AdmissionSchema, DischargeSchema, LabTestSchema
from registry.schemas.clients import age_on
from registry.services.episodes import EPISODE_FIELDS
from registry.simulation import forms
from registry.simulation.identities import Coder
from registry.simulation.simulate import Simulation

#: Episodes per prepared chunk (and per insert batch).
CHUNK = 10_000

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


@cache
def stamp(day: date) -> datetime:
    """Deterministic creation time of a record entered on ``day`` (noon UTC)."""
    return datetime.combine(day, time(12), tzinfo=UTC)


#: Columns filled by the parent (ids), then by the worker (everything else), in order.
EPISODE_KEYS = ("id", "client_id", "centre_id")
EPISODE_COLUMNS = (*EPISODE_FIELDS, "age_at_admission", "discharge_date", "discharge_reason",
                   "created_at", "updated_at", "created_by_id")  # fmt: skip
LAB_KEYS = ("id", "client_id", "centre_id")
LAB_COLUMNS = ("test", "sample_date", "result", "created_at", "updated_at", "created_by_id")
CLIENT_COLUMNS = ("id", "code", "sex", "birth_year", "region_id", "created_at")


class _Memo(dict):
    """``memo[value]`` is ``function(value)``, computed once per distinct value."""

    def __init__(self, function: Any) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, value: Any) -> Any:
        result = self[value] = self.function(value)
        return result


def _memoised(process: Any, column_type: Any) -> Any:
    """``process`` memoised where its values repeat: dates, times and lists of codes."""
    if isinstance(column_type, Date | DateTime):
        return _Memo(process).__getitem__
    if isinstance(column_type, JSON):
        by_items = _Memo(lambda items: process(list(items)))

        def process_json(value: Any) -> Any:
            try:
                return by_items[tuple(value)] if type(value) is list else process(value)
            except TypeError:  # a list of unhashable items
                return process(value)

        return process_json
    return process


class Encoder:
    """Turns values into what the database driver receives, with SQLAlchemy's own bind
    processors (dates and times as SQLite stores them, JSON as text...), so the parent can
    hand plain tuples to the driver's ``executemany``.

    The processors of date, time and JSON columns are memoised: a load has a few
    thousand distinct days and noon stamps and a few lists of secondary drugs, repeated in
    every row.
    """

    def __init__(self, dialect: Any, table: Any, columns: tuple[str, ...]) -> None:
        self.processors = []
        for name in columns:
            column_type = table.c[name].type
            process = column_type.dialect_impl(dialect).bind_processor(dialect)
            self.processors.append(process and _memoised(process, column_type))

    def __call__(self, values: tuple) -> tuple:
        return tuple([
            value if process is None or value is None else process(value)
            for value, process in zip(values, self.processors, strict=True)
        ])  # fmt: skip


class MemoisedLoad:
    """``schema.load`` memoised on the whole form, for forms that recur verbatim.

    A discharge, lab-test or dose form holds a date and a code or two, so in a large load
    the same form comes back thousands of times; the loaded data is a function of the form
    alone. Each distinct form is validated once by the real schema and a repeat gets a
    copy of that result. Only successful loads are kept: a rejected form is validated
    (and rejected) again every time.
    """

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self._loaded: dict[tuple, dict[str, Any]] = {}

    def load(self, form: dict[str, str]) -> dict[str, Any]:
        """The schema's result for ``form`` (a fresh dict); raises its ``ValidationError``."""
        key = tuple(form.items())
        found = self._loaded.get(key)
        if found is None:
            found = self._loaded[key] = self.schema.load(form)
        return dict(found)


def insert_rows(connection: Connection, model: Any, columns: tuple[str, ...], rows: list) -> None:
    """``executemany`` of encoded tuples straight through the driver."""
    if not rows:
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    table = model.__tablename__
    names = ", ".join(columns)
    markers = ", ".join([marker] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({markers})"  # noqa: S608 -- fixed names
    connection.exec_driver_sql(sql, rows)


def _prepare(bounds: tuple[int, int]) -> tuple[list[tuple], dict[str, int]]:
    """Validate, code and encode episodes ``lo..hi``.

    Returns rows ``(index, client tuple, episode tuple, lab tuples)`` where the tuples hold
    the encoded :data:`CLIENT_COLUMNS` (but the ids; the region by its code),
    :data:`EPISODE_COLUMNS` and :data:`LAB_COLUMNS`.
    """
    sim: Simulation = _STATE["sim"]
    if "schemas" not in _STATE:
        _STATE["schemas"] = (AdmissionSchema(), MemoisedLoad(DischargeSchema()),
                             MemoisedLoad(LabTestSchema()))  # fmt: skip
        _STATE["coder"] = Coder(_STATE["key"])
        _STATE["history"] = forms.ost_history(sim)
    admission_schema, discharge_schema, lab_schema = _STATE["schemas"]
    coder: Coder = _STATE["coder"]
    history = _STATE["history"]
    encode_episode, encode_lab, encode_client = _STATE["encoders"]
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
        admitted = data["admission_date"]
        discharged, reason = None, None
        if discharge is not None:
            if discharge["discharge_date"] < admitted:
                rejected["discharge"] = rejected.get("discharge", 0) + 1
            else:
                discharged, reason = discharge["discharge_date"], discharge["discharge_reason"]
        episode = encode_episode((
            *(data[name] for name in EPISODE_FIELDS), age_on(ids.birth_date, admitted),
            discharged, reason, stamp(admitted), stamp(discharged or admitted), None,
        ))  # fmt: skip
        labs = []
        for lab_form in lab_forms:
            try:
                lab = lab_schema.load(lab_form)
            except ValidationError:
                rejected["lab_test"] = rejected.get("lab_test", 0) + 1
                continue
            sampled = stamp(lab["sample_date"])
            labs.append(encode_lab((lab["test"], lab["sample_date"], lab["result"],
                                    sampled, sampled, None)))  # fmt: skip
        code = coder.code_of(ids)
        client = (code, ids.sex, ids.birth_date.year, data["region_code"], stamp(admitted))
        rows.append((i, encode_client(client), episode, labs))
    return rows, rejected


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def _forget_connections() -> None:
    """In a forked worker: drop the parent's pooled connections without closing them."""
    _STATE["engine"].dispose(close=False)


def prepared_chunks(
    sim: Simulation, key: str, workers: int, connection: Connection
) -> Iterator[tuple[list, dict]]:
    """Prepared chunks in episode order, from ``workers`` forked processes or inline."""
    _STATE.clear()
    dialect = connection.dialect
    encoders = (
        Encoder(dialect, TreatmentEpisode.__table__, EPISODE_COLUMNS),
        Encoder(dialect, LabTest.__table__, LAB_COLUMNS),
        Encoder(dialect, Client.__table__, CLIENT_COLUMNS[1:]),
    )
    _STATE.update(sim=sim, key=key, encoders=encoders, engine=connection.engine)
    bounds = _chunks(len(sim.episodes), CHUNK)
    if workers <= 1 or len(bounds) <= 1:
        for chunk in bounds:
            yield _prepare(chunk)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_forget_connections) as pool:
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
    client_id = next_id(connection, Client)
    episode_id, lab_id = next_id(connection, TreatmentEpisode), next_id(connection, LabTest)
    centre_of = [centres[c] for c in sim.episodes.centre.tolist()]
    episode_ids: dict[int, tuple[int, int]] = {}
    # the service refuses a second open episode of a programme for a client at a centre
    open_episodes: set[tuple[int, int, str]] = set()
    discharge_at = EPISODE_COLUMNS.index("discharge_date")
    for rows, rejected in prepared_chunks(sim, key, workers, connection):
        for form, count in rejected.items():
            summary.rejected[form] = summary.rejected.get(form, 0) + count
        new_clients, episodes, labs = [], [], []
        for i, (code, sex, birth_year, region, created), episode, lab_rows in rows:
            client = codes.get(code)
            if client is None:
                client = codes[code] = client_id
                new_clients.append((client, code, sex, birth_year, regions[region], created))
                client_id += 1
            centre = centre_of[i]
            if episode[discharge_at] is None:
                key = (client, centre, episode[0])  # episode[0] is the programme
                if key in open_episodes:
                    summary.reject("admission")
                    continue
                open_episodes.add(key)
            episodes.append((episode_id, client, centre, *episode))
            episode_ids[i] = (episode_id, client)
            for lab in lab_rows:
                labs.append((lab_id, client, centre, *lab))
                lab_id += 1
            episode_id += 1
        insert_rows(connection, Client, CLIENT_COLUMNS, new_clients)
        insert_rows(connection, TreatmentEpisode, EPISODE_KEYS + EPISODE_COLUMNS, episodes)
        insert_rows(connection, LabTest, LAB_KEYS + LAB_COLUMNS, labs)
        summary.clients += len(new_clients)
        summary.episodes += len(episodes)
        summary.lab_tests += len(labs)
    return summary, episode_ids
