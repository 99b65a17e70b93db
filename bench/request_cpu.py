"""CPU milliseconds per request by page type, in process (no sockets, no other clients).

Run: ``.venv/bin/python bench/request_cpu.py [--rounds 30] [--profile KIND] [--sql]
[--project DIR]``

Loads the app of this checkout on a copy of the cached demo database of ``bench/load.py``
(built once into ``~/.cache/narcoregistry-bench``), signs in one clinic user, one
epidemiologist and one ministry token, and sends the requests of the load mix through
Flask's test client, ``--rounds`` times each after one warm-up round. Prints the median
and the 90th percentile of the thread's CPU time per request kind, the SQL statements per
request, how long the request held SQLite's write lock (from its first write to its
commit: every save of every server process waits that long behind it), its wall time and
the size of the answer, and the mix-weighted mean CPU per request (the load bench's shares),
which sets the throughput the server can reach: 2 cores / mean CPU. ``--profile KIND``
prints the cProfile of that kind (cumulative, top 40). Thread CPU time is not disturbed
much by other work on a shared machine, unlike wall-clock latency.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from load import ENV, PASSWORD, ROOT, cached_database, visit_targets
from load_users import PANELS
from sqlalchemy import event

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
IMAGES = re.compile(r'<img src="([^"]+\.png[^"]*)"')
#: Share of each kind in the requests of the load mix (``bench/load_users.py``): per
#: 95 clinic actions about 180 requests (dashboard 30; client page 50; form page 35 and
#: save 35: test results, dose visits, admissions; today's dosing list 30, before and
#: after each dose visit), per 100 epidemiologist actions about 195 (studies pages 55, job
#: pages 20 with a plot each, ministry pages 25 with 3 plots each), one request per
#: ministry API action; users are 60/20/20 % of the clients. Close enough to weigh the mean.
WEIGHTS = {
    "dashboard": 0.6 * 30 / 180,
    "client page": 0.6 * 50 / 180,
    "form page": 0.6 * 35 / 180,
    "save": 0.6 * 35 / 180,
    "dosing list": 0.6 * 30 / 180,
    "studies page": 0.2 * 55 / 195,
    "job page": 0.2 * 20 / 195,
    "ministry page": 0.2 * 25 / 195,
    "plot": 0.2 * 95 / 195,
    "api": 0.2,
    # measured apart, not in the mix: the client page of the centre's OST client with the
    # most doses (a long dose history), and that enrolment's dose history page
    "OST client page": 0.0,
    "dose history": 0.0,
    # and a plot already drawn (the same image each round: what every plot request costs
    # once the server has drawn it), its ministry page's year fixed
    "plot, cached": 0.0,
}
#: The centre's OST enrolment with the most doses, and its client.
LONGEST_ENROLMENT = """SELECT e.id, e.client_id FROM ost_enrolments e
    JOIN ost_dosing_events d ON d.enrolment_id = e.id
    WHERE e.centre_id = (SELECT id FROM treatment_centres WHERE code = ?)
    GROUP BY e.id ORDER BY count(*) DESC LIMIT 1"""


class Counter:
    """SQL statements of a request, and how long it held SQLite's write lock: wall time
    from its first INSERT/UPDATE/DELETE to the end of that transaction (every other save
    of every process waits meanwhile)."""

    def __init__(self) -> None:
        self.statements, self.locked, self.first_write = 0, 0.0, None

    def reset(self) -> None:
        self.statements, self.locked, self.first_write = 0, 0.0, None

    def __call__(self, _conn, _cursor, statement: str, *args: object) -> None:  # noqa: ANN001
        self.statements += 1
        if self.first_write is None and statement.lstrip()[:6].upper() in WRITES:
            self.first_write = time.perf_counter()

    def end(self, *_args: object) -> None:
        if self.first_write is not None:
            self.locked += time.perf_counter() - self.first_write
            self.first_write = None


WRITES = ("INSERT", "UPDATE", "DELETE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--profile", help="print the cProfile of this request kind")
    parser.add_argument("--sql", action="store_true", help="count SQL statements")
    parser.add_argument(
        "--project", type=Path, default=ROOT, help="checkout whose code is measured"
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=Path.home() / ".cache" / "narcoregistry-bench"
    )
    args = parser.parse_args()
    project = args.project.resolve()
    source, accounts = cached_database(project, args.cache_dir)
    with tempfile.TemporaryDirectory(prefix="registry-cpu-") as folder:
        database = Path(folder) / "registry.sqlite3"
        shutil.copy(source, database)
        targets = visit_targets(database, 2003)
        with sqlite3.connect(database) as connection:
            targets["longest"] = connection.execute(
                LONGEST_ENROLMENT, (accounts["clinic"][0][1],)
            ).fetchone()

        os.environ.update(ENV, DATABASE_URL=f"sqlite:///{database}")
        os.environ["JOBS_SQLITE_PATH"] = str(Path(folder) / "jobs")
        os.environ["REGISTRY_INSTANCE_PATH"] = folder
        sys.path.insert(0, str(project))
        from registry import create_app
        from registry.extensions import db

        app = create_app()
        run(app, db, accounts, targets, args)


def sign_in(app, username: str):  # noqa: ANN001, ANN201
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    data = {"username": username, "password": PASSWORD, "csrf_token": token, "next": ""}
    assert client.post("/login", data=data).status_code in (302, 303)
    return client


def run(app, db, accounts: dict, targets: dict, args: argparse.Namespace) -> None:  # noqa: ANN001
    rng = random.Random(1)
    name, centre = accounts["clinic"][0]
    clinic, epi = sign_in(app, name), sign_in(app, accounts["epi"][0])
    ministry = app.test_client()
    bearer = {"Authorization": f"Bearer {accounts['tokens'][0]}"}
    counter = Counter()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", counter)
        event.listen(db.engine, "commit", counter.end)
        event.listen(db.engine, "rollback", counter.end)
    used: set[date] = set()

    def csrf(client, path: str) -> str:  # noqa: ANN001
        return CSRF.search(client.get(path).get_data(as_text=True)).group(1)

    def requests(kind: str):  # noqa: ANN202
        """(client, method, path, data, headers) of one request of ``kind``."""
        client_id = rng.choice(targets["clients"][centre])
        if kind == "dashboard":
            return clinic, "GET", "/dashboard", None, None
        if kind == "OST client page":
            return clinic, "GET", f"/clients/{targets['longest'][1]}", None, None
        if kind == "dose history":  # absent before the change: 404
            return clinic, "GET", f"/ost/{targets['longest'][0]}/doses", None, None
        if kind == "dosing list":
            return clinic, "GET", "/ost/today", None, None
        if kind == "client page":
            return clinic, "GET", f"/clients/{client_id}", None, None
        if kind == "form page":
            return clinic, "GET", f"/clients/{client_id}/lab-tests/new", None, None
        if kind == "save":
            path = f"/clients/{client_id}/lab-tests/new"
            day = date(2005, 1, 1) + timedelta(days=rng.randrange(6000))
            while day in used:
                day += timedelta(days=1)
            used.add(day)
            data = {"test": "HIV", "sample_date": day.isoformat(), "result": "negative",
                    "csrf_token": csrf(clinic, path)}  # fmt: skip
            return clinic, "POST", path, data, None
        if kind == "studies page":
            path = rng.choice(("/studies/", "/studies/jobs",
                               f"/studies/uploads/{rng.choice(targets['uploads'])}"))  # fmt: skip
            return epi, "GET", path, None, None
        if kind == "job page":
            return epi, "GET", f"/studies/jobs/{rng.choice(targets['jobs'])}", None, None
        if kind == "ministry page":
            return epi, "GET", f"/ministry/?year={rng.choice(targets['years'])}", None, None
        if kind in ("plot", "plot, cached"):
            year = targets["years"][0] if kind == "plot, cached" else rng.choice(targets["years"])
            page = epi.get(f"/ministry/?year={year}")
            images = IMAGES.findall(page.get_data(as_text=True))
            image = images[0] if kind == "plot, cached" else rng.choice(images)
            return epi, "GET", image.replace("&amp;", "&"), None, None
        path = rng.choice(("/api/v1/analytics", "/api/v1/analytics.csv"))
        query = f"{rng.choice(PANELS)}&pe={rng.choice(targets['years'])}"
        return ministry, "GET", f"{path}?{query}", None, bearer

    profiler = cProfile.Profile()
    print(f"{'kind':<15}{'CPU p50 ms':>11}{'CPU p90 ms':>11}{'SQL':>6}{'lock p50 ms':>12}"
          f"{'wall p50 ms':>12}{'KB':>6}  status")  # fmt: skip
    mean, means = 0.0, {}
    for kind, weight in WEIGHTS.items():
        times, statements, statuses, locked, walls, sizes = [], [], set(), [], [], []
        for round_ in range(args.rounds + 1):
            client, method, path, data, headers = requests(kind)
            counter.reset()
            profiling = kind == args.profile and round_ > 0
            if profiling:
                profiler.enable()
            start, wall = time.thread_time(), time.perf_counter()
            response = client.open(path, method=method, data=data, headers=headers)
            size = len(response.get_data())
            elapsed, wall = time.thread_time() - start, time.perf_counter() - wall
            if profiling:
                profiler.disable()
            statuses.add(response.status_code)
            if round_:
                times.append(elapsed * 1000)
                statements.append(counter.statements)
                locked.append(counter.locked * 1000)
                walls.append(wall * 1000)
                sizes.append(size / 1024)
        times.sort()
        p50 = statistics.median(times)
        mean += weight * statistics.mean(times)  # the kinds measured apart weigh 0
        means[kind] = statistics.mean(times)
        print(f"{kind:<15}{p50:>11.1f}{times[int(0.9 * len(times))]:>11.1f}"
              f"{statistics.median(statements):>6.0f}{statistics.median(locked):>12.1f}"
              f"{statistics.median(walls):>12.1f}{statistics.median(sizes):>6.0f}  "
              f"{sorted(statuses)}")  # fmt: skip
    total = sum(WEIGHTS.values())
    print(f"\nmix-weighted mean CPU per request: {mean / total:.1f} ms "
          f"(2 cores: at most {2000 / (mean / total):.0f} requests/s)")  # fmt: skip
    # a server that has drawn its plots (each is drawn once, then kept: registry.plot_cache)
    drawn = mean + WEIGHTS["plot"] * (means["plot, cached"] - means["plot"])
    print(f"the same with every plot already drawn: {drawn / total:.1f} ms "
          f"(at most {2000 / (drawn / total):.0f} requests/s)")  # fmt: skip
    if args.profile:
        order = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime
        pstats.Stats(profiler).sort_stats(order).print_stats(40)


if __name__ == "__main__":
    main()
