"""Analytics latency on the 1,000,000-episode registry: the service against hand-written SQL.

Run: ``.venv/bin/python bench/analytics.py [--runs 20] [--cold-runs 3] [--skip-postgres]
[--skip-sqlite]``

The typical query is every count indicator x the five years 2000-2004 x the regions
(``LEVEL-2``) x sex, answered by :func:`registry.analytics.run_query` in its two ways:

* *counted at request* (no analytics tables yet; both caches emptied): SQL aggregation,
  canonical tables, suppression, projection, audit;
* *read from the analytics tables* after :func:`registry.analytics.refresh.refresh_tables`
  has generated them (what the worker keeps current), timed *cold* (this process has not
  read the tables yet) and *warm* (it has).

The two ways must give the same rows (checked). The reference is one hand-written SQL
statement counting the same people (distinct clients per year, region and sex for each
count indicator). The refresh (every family, every year of data: seven, not five) is
timed once beside it. Figures are printed, never asserted.

The SQLite registry is the simulator's KZ 1998-2004 build at scale 6.3 (about 1,000,000
episodes, treatments and dispensary registrations; a few minutes on 2 cores), cached as
``/tmp/analytics_bench/registry-KZ-6.3.sqlite3``. PostgreSQL gets a copy of it (``COPY``, table
by table) in the database ``analytics_bench`` of the ``TEST_POSTGRES_URL`` server,
reused while its row counts match.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import JSON, create_engine, delete, func, inspect, make_url, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from registry import create_app  # noqa: E402
from registry.analytics import cache, parse_request, run_query, store, tables  # noqa: E402
from registry.analytics.indicators import COUNT_CODES  # noqa: E402
from registry.analytics.refresh import refresh_tables  # noqa: E402
from registry.config import normalise_database_url  # noqa: E402
from registry.extensions import db  # noqa: E402
from registry.models import (  # noqa: E402
    AnalyticsCell,
    AnalyticsGeneration,
    AnalyticsTable,
    User,
)

CACHE = Path("/tmp/analytics_bench")  # noqa: S108  (a cache of simulated data, by design)
SCALE = 6.3  # KZ 1998-2004: about a million episodes (treatments and registrations)
SQLITE = CACHE / f"registry-KZ-{SCALE}.sqlite3"
YEARS = range(2000, 2005)
PG_DEFAULT = "postgresql+psycopg://registry:registry@localhost/registry_test"


def settings(url: str) -> dict:
    return {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48),
            "LINKAGE_KEY": secrets.token_urlsafe(48)}  # fmt: skip


def build_sqlite() -> None:
    """Simulate the registry once into the cache file (skipped when it exists)."""
    if SQLITE.exists():
        return
    from registry.simulation.load import load_demo

    CACHE.mkdir(parents=True, exist_ok=True)
    partial = SQLITE.with_suffix(".building")
    partial.unlink(missing_ok=True)
    app = create_app(settings(f"sqlite:///{partial}"))
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        load_demo("KZ", (1998, 2004), SCALE, seed=2003, workers=os.cpu_count() or 1,
                  lists_out=CACHE / "lists")  # fmt: skip
        print(f"built {SQLITE} in {time.perf_counter() - start:.0f} s", flush=True)
    partial.rename(SQLITE)


def copy_to_postgres(server_url: str) -> str:
    """Copy the SQLite registry into PostgreSQL database ``analytics_bench``; its URL."""
    server = make_url(normalise_database_url(server_url))
    url = server.set(database="analytics_bench").render_as_string(hide_password=False)
    source = create_engine(f"sqlite:///{SQLITE}")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = 'analytics_bench'")
        )
        if not exists:
            connection.execute(text('CREATE DATABASE "analytics_bench"'))
    admin.dispose()
    app = create_app(settings(url))
    with app.app_context():
        db.create_all()
        target = db.engine
        present = set(inspect(source).get_table_names())  # the build may predate a table
        names = [t for t in db.metadata.sorted_tables  # the registry, not its analytics tables
                 if t.name in present and not t.name.startswith("analytics_")]  # fmt: skip
        with source.connect() as src, target.connect() as dst:
            same = all(
                src.scalar(select(func.count()).select_from(t))
                == dst.scalar(select(func.count()).select_from(t))
                for t in names
            )
        if same:
            return url
        start = time.perf_counter()
        tables_sql = ", ".join(f'"{t.name}"' for t in names)
        with target.begin() as dst:
            dst.execute(text(f"TRUNCATE {tables_sql} RESTART IDENTITY CASCADE"))
        raw = target.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SET session_replication_role = replica")  # no FK checks while copying
            with source.connect() as src:
                for table in names:
                    have = {c["name"] for c in inspect(source).get_columns(table.name)}
                    columns = [c.name for c in table.columns if c.name in have]
                    quoted = ", ".join(f'"{c}"' for c in columns)
                    rows = src.execute(select(*(table.c[c] for c in columns))).yield_per(50_000)
                    as_json = [isinstance(table.c[c].type, JSON) for c in columns]
                    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row(
                                [
                                    json.dumps(v) if j and v is not None else v
                                    for v, j in zip(row, as_json, strict=True)
                                ]
                            )
                    if "id" in columns:
                        cursor.execute(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                            f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 1))'
                        )
            cursor.execute("SET session_replication_role = DEFAULT")
            raw.commit()
            cursor.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
        print(
            f"copied the registry to PostgreSQL in {time.perf_counter() - start:.0f} s", flush=True
        )
    return url


def hand_written_sql(dialect: str) -> str:
    """One statement counting the same people by year, region (centre's unit) and sex."""
    if dialect == "sqlite":
        p = " UNION ALL ".join(
            f"SELECT {y} AS y, '{y}-01-01' AS s, '{y}-12-31' AS e" for y in YEARS
        )
    else:
        p = " UNION ALL ".join(f"SELECT {y} AS y, DATE '{y}-01-01' AS s, DATE '{y}-12-31' AS e"
                               for y in YEARS)  # fmt: skip
    # table names and years are constants of this file, not input
    return f"""
WITH p AS ({p}),
ent AS (SELECT p.y, e.client_id, MIN(t.org_unit_id) AS ou,
               MAX(CASE WHEN e.ever_treated = '1' THEN 1 ELSE 0 END) AS first
        FROM treatment_episodes e JOIN p ON e.admission_date BETWEEN p.s AND p.e
        JOIN treatment_centres t ON t.id = e.centre_id GROUP BY p.y, e.client_id),
reg AS (SELECT p.y, e.client_id, MIN(t.org_unit_id) AS ou
        FROM treatment_episodes e JOIN p ON e.admission_date <= p.e
             AND (e.discharge_date IS NULL OR e.discharge_date > p.e)
        JOIN treatment_centres t ON t.id = e.centre_id
        WHERE t.kind = 'narcological_dispensary' GROUP BY p.y, e.client_id),
fst AS (SELECT e.client_id, MIN(e.admission_date) AS d, MIN(t.org_unit_id) AS ou
        FROM treatment_episodes e JOIN treatment_centres t ON t.id = e.centre_id
        WHERE t.kind = 'narcological_dispensary' GROUP BY e.client_id),
hiv AS (SELECT p.y, p.e, l.client_id, MIN(t.org_unit_id) AS ou,
               MAX(CASE WHEN l.result = 'positive' THEN 1 ELSE 0 END) AS pos
        FROM lab_tests l JOIN p ON l.sample_date BETWEEN p.s AND p.e
        JOIN treatment_centres t ON t.id = l.centre_id WHERE l.test = 'HIV'
        GROUP BY p.y, p.e, l.client_id),
ost AS (SELECT p.y, o.client_id, MIN(t.org_unit_id) AS ou
        FROM ost_enrolments o JOIN p ON o.enrolment_date <= p.e
             AND (o.exit_date IS NULL OR o.exit_date > p.e)
        JOIN treatment_centres t ON t.id = o.centre_id GROUP BY p.y, o.client_id)
SELECT 'entrants', ent.y, ent.ou, c.sex, COUNT(*), SUM(ent.first)
  FROM ent JOIN clients c ON c.id = ent.client_id GROUP BY ent.y, ent.ou, c.sex
UNION ALL
SELECT 'registered', reg.y, reg.ou, c.sex, COUNT(*), 0
  FROM reg JOIN clients c ON c.id = reg.client_id GROUP BY reg.y, reg.ou, c.sex
UNION ALL
SELECT 'new', p.y, fst.ou, c.sex, COUNT(*), 0
  FROM fst JOIN p ON fst.d BETWEEN p.s AND p.e JOIN clients c ON c.id = fst.client_id
  GROUP BY p.y, fst.ou, c.sex
UNION ALL
SELECT 'hiv', hiv.y, hiv.ou, c.sex, COUNT(*), SUM(hiv.pos * CASE WHEN EXISTS (
         SELECT 1 FROM treatment_episodes x WHERE x.client_id = hiv.client_id
         AND x.admission_date <= hiv.e AND (x.route = '1' OR x.injecting IN ('2.2', '2.3')))
         THEN 1 ELSE 0 END)
  FROM hiv JOIN clients c ON c.id = hiv.client_id GROUP BY hiv.y, hiv.ou, c.sex
UNION ALL
SELECT 'ost', ost.y, ost.ou, c.sex, COUNT(*), 0
  FROM ost JOIN clients c ON c.id = ost.client_id GROUP BY ost.y, ost.ou, c.sex
"""  # noqa: S608


def percentiles(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    p50 = statistics.median(ordered)
    return f"p50 {p50 * 1000:,.0f} ms, p95 {p95 * 1000:,.0f} ms (n={len(ordered)})"


def bench(url: str, label: str, runs: int, cold_runs: int) -> None:
    """Time the typical query against the hand-written SQL, counted at request time and
    read from the analytics tables, and time the refresh that generates those tables."""
    app = create_app({**settings(url), "ANALYTICS_CACHE_SECONDS": 300})
    query = {"dx": ";".join(COUNT_CODES), "pe": ";".join(map(str, YEARS)), "ou": "LEVEL-2",
             "dimension": "sex"}  # fmt: skip
    with app.app_context():
        db.create_all()  # the analytics tables, if the cached registry predates them
        actor = db.session.scalar(select(User).where(User.role == "ministry", User.active))
        request = parse_request(query)
        sql = text(hand_written_sql(db.engine.dialect.name))

        def timed(action) -> float:
            start = time.perf_counter()
            action()
            db.session.rollback()  # the audit rows are not kept
            return time.perf_counter() - start

        def answer() -> None:
            rows = run_query(request, actor=actor).rows
            assert rows

        def forget() -> None:
            cache._ENTRIES.clear()
            tables._MEMO.clear()
            store._LOADED.clear()

        baseline = [timed(lambda: db.session.execute(sql).all()) for _ in range(cold_runs)]
        db.session.execute(delete(AnalyticsCell))  # no analytics tables: count at request
        db.session.execute(delete(AnalyticsTable))
        db.session.execute(delete(AnalyticsGeneration))
        db.session.commit()
        counted = []
        for _ in range(cold_runs):
            forget()
            counted.append(timed(answer))
        counted_rows = run_query(request, actor=actor).rows
        db.session.rollback()
        forget()
        start = time.perf_counter()
        generation = refresh_tables()
        refresh = time.perf_counter() - start
        made = f"{generation.tables} tables ({generation.first_year}-{generation.last_year})"
        cold = []
        for _ in range(runs):
            forget()
            cold.append(timed(answer))
        warm = [timed(answer) for _ in range(runs)]
        response = run_query(request, actor=actor)
        withheld = sum(1 for row in response.rows if row[-1] == "suppressed")
        assert response.meta_data["countedAtRequest"] == []
        assert response.rows == counted_rows, "the analytics tables answer differently"
        db.session.rollback()
    base = statistics.median(baseline)
    print(f"{label}: {len(response.rows):,} rows ({withheld:,} withheld), the same rows counted "
          "at request and read from the analytics tables")  # fmt: skip
    print(f"  hand-written SQL                  {percentiles(baseline)}")
    print(f"  run_query, counted at request     {percentiles(counted)}  "
          f"(x{statistics.median(counted) / base:.2f} of the SQL)")  # fmt: skip
    print(f"  refresh: {made}   {refresh:,.1f} s  (x{refresh / base:.2f} of the SQL)")
    print(f"  run_query, analytics tables, cold {percentiles(cold)}  "
          f"(x{statistics.median(cold) / base:.3f} of the SQL)")  # fmt: skip
    print(f"  run_query, analytics tables, warm {percentiles(warm)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    build_sqlite()
    if not args.skip_sqlite:
        bench(f"sqlite:///{SQLITE}", "SQLite", args.runs, args.cold_runs)
    if not args.skip_postgres:
        url = copy_to_postgres(os.environ.get("TEST_POSTGRES_URL", PG_DEFAULT))
        bench(url, "PostgreSQL", args.runs, args.cold_runs)


if __name__ == "__main__":
    main()
