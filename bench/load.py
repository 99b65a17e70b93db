"""Load benchmark: the real server under N concurrent users for T seconds, on loopback.

Run: ``.venv/bin/python bench/load.py [--clients 50] [--seconds 60] [--project DIR]``

1. A temporary instance: a copy of a cached demo database (``flask demo load``, the
   analytics tables generated, and bench users with API tokens; built once into
   ``--cache-dir``, about a minute, keyed on the migrations and the simulator).
2. The product as ``make run`` starts it: ``python -m registry.serve`` (gunicorn and the
   job worker) of ``--project`` (default: this checkout, with its ``.venv``) on a free
   port of 127.0.0.1, with the API rate limit raised (one token would otherwise be
   refused after 600 requests a minute) and the automatic analytics refresh off, so the
   figures are those of the web server (a refresh takes ~13 s of one core every
   ``ANALYTICS_REFRESH_MINUTES`` while data change).
3. Every virtual user signs in (not timed in the figures), then ``--clients`` of them
   (60 % clinic staff, 20 % epidemiologists, 20 % ministry API clients; see
   ``bench/load_users.py``) loop for ``--seconds`` without think time, or pausing
   ``--think`` seconds on average between actions, once the worker
   has drawn the plots ahead (``registry.plots_ahead``; printed, not in the figures).
4. Printed: requests/s; p50/p95/p99 by kind and overall; errors (5xx, connection
   failures, timeouts) and unexpected statuses; CPU seconds of the server, of this load
   generator and of the whole machine over the run, and the load averages, so that a run
   on a machine shared with other work can be told apart. With ``--profile DIR``, where the
   workers' CPU went, from py-spy samples kept in DIR (``bench/server_profile.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import server_profile
from load_users import (
    ClinicStaff,
    Epidemiologist,
    MinistryMachine,
    Recorder,
    Shared,
    SignedInUser,
)
from processes import processes, tree

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-2026"  # noqa: S105  (bench users of a throw-away database)
ENV = {
    "SECRET_KEY": "bench-secret-key-" + "s" * 32,
    "LINKAGE_KEY": "bench-linkage-key-" + "k" * 32,
    "REGISTRY_ENV": "development",
    "FLASK_APP": "wsgi",
    "API_RATE_LIMIT": "1000000 per minute",
    "ANALYTICS_REFRESH_MINUTES": "0",
    "ANALYTICS_REFRESH_MAX_AGE_HOURS": "0",
}
#: Users made once into the cached database: clinic staff at the two centres with OST,
#: epidemiologists, and ministry users with one API token each.
SETUP = """
import json, sys
from sqlalchemy import select
from registry import create_app
from registry.auth.tokens import create_token
from registry.extensions import db
from registry.models import TreatmentCentre
from registry.services.users import create_user
out = {"clinic": [], "epi": [], "tokens": []}
with create_app().app_context():
    centres = {c.code: c for c in db.session.scalars(select(TreatmentCentre))}
    for i in range(100):
        centre = ("RNC", "OSH")[i % 2]
        create_user(f"bench-clinic-{i}", sys.argv[1], "clinic_staff", centres[centre])
        out["clinic"].append([f"bench-clinic-{i}", centre])
    for i in range(40):
        create_user(f"bench-epi-{i}", sys.argv[1], "epidemiologist")
        out["epi"].append(f"bench-epi-{i}")
        ministry = create_user(f"bench-ministry-{i}", sys.argv[1], "ministry")
        out["tokens"].append(create_token(ministry, "bench")[1])
    db.session.commit()
print(json.dumps(out))
"""


CLINIC_CLIENTS = """SELECT DISTINCT client_id FROM treatment_episodes
    WHERE centre_id = (SELECT id FROM treatment_centres WHERE code = ?)"""


def cache_key(project: Path) -> str:
    """What the cached database depends on: the migrations, the simulator, the setup."""
    digest = hashlib.sha256(SETUP.encode())
    for folder in ("migrations/versions", "registry/simulation", "registry/demo"):
        for path in sorted((project / folder).glob("*.py")):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def flask(project: Path, env: dict[str, str], *args: str) -> str:
    python = str(project / ".venv/bin/python")
    done = subprocess.run([python, *args], cwd=project, env=env, check=True,
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout


def cached_database(project: Path, cache_dir: Path) -> tuple[Path, dict]:
    """The cached demo database and its bench accounts, built first if missing."""
    key = cache_key(project)
    database, accounts = cache_dir / f"demo-{key}.sqlite3", cache_dir / f"demo-{key}.json"
    if not (database.exists() and accounts.exists()):
        print(f"Building the demo database into {database} (once; about a minute)...")
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as build:
            built = Path(build) / "registry.sqlite3"
            env = instance_env(Path(build), built)
            flask(project, env, "-m", "flask", "db", "upgrade")
            flask(project, env, "-m", "flask", "demo", "load", "--lists-out", f"{build}/lists")
            flask(project, env, "-m", "flask", "analytics", "refresh")
            users = flask(project, env, "-c", SETUP, PASSWORD)
            with sqlite3.connect(built) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copy(built, database)
            accounts.write_text(users.strip().splitlines()[-1])
    return database, json.loads(accounts.read_text())


def instance_env(folder: Path, database: Path, extra: dict[str, str] | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(ENV, DATABASE_URL=f"sqlite:///{database}", JOBS_SQLITE_PATH=str(folder / "jobs"))
    # the temporary folder is the instance folder: no plots drawn by an earlier run
    env.update(REGISTRY_INSTANCE_PATH=str(folder))
    env.update(extra or {})
    return env


def visit_targets(database: Path, seed: int) -> dict:
    """Client, job and upload ids to visit, read from the copied database."""
    rng = random.Random(seed)
    with sqlite3.connect(database) as connection:

        def ids(sql: str, *params: object) -> list[int]:
            return [row[0] for row in connection.execute(sql, params)]

        clients = {}
        for centre in ("RNC", "OSH"):
            found = ids(CLINIC_CLIENTS, centre)
            clients[centre] = rng.sample(found, min(2000, len(found)))
        first, last = connection.execute(
            "SELECT min(substr(admission_date, 1, 4)), max(substr(admission_date, 1, 4)) "
            "FROM treatment_episodes"
        ).fetchone()
        return {
            "clients": clients,
            "jobs": ids("SELECT job_id FROM estimation_results"),
            "uploads": ids("SELECT id FROM source_lists"),
            "years": list(range(int(first), int(last) + 1)),
        }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(project: Path, env: dict, port: int, log: Path, workers: int | None):
    """``python -m registry.serve`` on 127.0.0.1:``port``; waits until it answers."""
    command = [str(project / ".venv/bin/python"), "-m", "registry.serve",
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    if workers:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(command, cwd=project, env=env, stdout=log.open("w"),
                              stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    for _ in range(120):
        time.sleep(0.5)
        if server.poll() is not None:
            raise SystemExit(f"The server stopped at start:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5):  # noqa: S310
                return server
        except OSError:
            continue
    stop_server(server)
    raise SystemExit(f"The server did not answer within 60 s:\n{log.read_text()[-3000:]}")


def wait_for_plots_drawn_ahead(project: Path, log: Path, timeout: float = 600) -> None:
    """Wait until the worker has drawn the plots ahead (registry.plots_ahead), so that its
    drawing, once per server and after each refresh, is not in the measured run; print
    how long it took. A checkout without that module draws on the first requests."""
    if not (project / "registry/plots_ahead.py").exists():
        print("this checkout draws each plot on its first request (in the figures)")
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"plots drawn ahead: .*", log.read_text())
        if found:
            print(f"the worker's {found.group(0)} (before the measured run)")
            return
        time.sleep(0.5)
    raise SystemExit(f"The worker did not draw the plots within {timeout:.0f} s (see {log})")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)  # registry.serve stops its children
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of ``root`` and its descendants (Linux ``/proc``)."""
    return sum(process_cpu_seconds(root).values())


def process_cpu_seconds(root: int) -> dict[str, float]:
    """CPU seconds of ``root`` and of each descendant, by ``pid command``: whether the
    gunicorn workers share the work (a keep-alive connection stays with one worker)."""
    return {f"{p.pid} {p.name}": p.cpu_seconds for p in tree(root, processes())}


def machine_cpu() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far (``/proc/stat``)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK"), sum(values) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_users(args: argparse.Namespace, shared: Shared, accounts: dict, warm: Recorder):
    """``args.clients`` virtual users in the shares of ``args.shares``; accounts are
    reused round-robin when there are more users than bench accounts."""
    clinic_share, epi_share, _ = (int(x) for x in args.shares.split(","))
    total = clinic_share + epi_share + _
    n_clinic = round(args.clients * clinic_share / total)
    n_epi = round(args.clients * epi_share / total)
    users: list = []
    for i in range(n_clinic):
        name, centre = accounts["clinic"][i % len(accounts["clinic"])]
        users.append(ClinicStaff(centre, name, shared, warm, seed=i))
    for i in range(n_epi):
        name = accounts["epi"][i % len(accounts["epi"])]
        users.append(Epidemiologist(name, shared, warm, seed=1000 + i))
    for i in range(args.clients - n_clinic - n_epi):
        token = accounts["tokens"][i % len(accounts["tokens"])]
        headers = {"Authorization": f"Bearer {token}"}
        users.append(MinistryMachine(shared, warm, seed=2000 + i, headers=headers))
    return users


async def drive(args: argparse.Namespace, shared: Shared, accounts: dict, server_pid: int):
    """Sign everybody in, then run the measured window; returns the figures and the
    profilers (``--profile``) started with it."""
    warm = Recorder(deadline=time.monotonic() + 300)
    users = make_users(args, shared, accounts, warm)
    started = time.monotonic()
    await asyncio.gather(*(u.sign_in() for u in users if isinstance(u, SignedInUser)))
    print(f"{sum(isinstance(u, SignedInUser) for u in users)} users signed in "
          f"in {time.monotonic() - started:.1f} s (not in the figures below)")  # fmt: skip
    recorder = Recorder(deadline=time.monotonic() + args.seconds)
    for user in users:
        user.recorder = recorder
    processes = process_cpu_seconds(server_pid)
    before = (time.monotonic(), own_cpu_seconds(), sum(processes.values()), machine_cpu())
    loads = [Path("/proc/loadavg").read_text().split()[:3]]
    spies = server_profile.start(server_pid, args.seconds, args.profile) if args.profile else []
    await asyncio.gather(*(user.run() for user in users))
    per_process = process_cpu_seconds(server_pid)
    after = (time.monotonic(), own_cpu_seconds(), sum(per_process.values()), machine_cpu())
    loads.append(Path("/proc/loadavg").read_text().split()[:3])
    for name, seconds in per_process.items():
        per_process[name] = seconds - processes.get(name, 0.0)
    return (recorder, before, after, loads, per_process), spies


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def report(recorder: Recorder, before: tuple, after: tuple, loads: list, per_process: dict) -> None:
    elapsed = after[0] - before[0]
    every = sorted(x for values in recorder.latencies.values() for x in values)
    rows = sorted(recorder.latencies.items(), key=lambda item: -len(item[1]))
    print(f"\n{'kind':<14}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
          f"{'max ms':>8}{'errors':>8}  unexpected statuses")  # fmt: skip
    for kind, values in [*rows, ("all", every)]:
        ordered = sorted(values)
        errors = sum(recorder.errors.values()) if kind == "all" else recorder.errors.get(kind, 0)
        other = recorder.unexpected.get(kind, {}) if kind != "all" else {}
        print(f"{kind:<14}{len(ordered):>9}{len(ordered) / elapsed:>8.1f}"
              f"{percentile(ordered, 0.50):>8.0f}{percentile(ordered, 0.95):>8.0f}"
              f"{percentile(ordered, 0.99):>8.0f}{ordered[-1] * 1000:>8.0f}{errors:>8}  "
              f"{' '.join(f'{s}x{n}' for s, n in other.items())}")  # fmt: skip
    for sample in recorder.samples:
        print("  error:", sample)
    server, own = after[2] - before[2], after[1] - before[1]
    busy, total = after[3][0] - before[3][0], after[3][1] - before[3][1]
    cores = total / elapsed
    print(
        f"\n{len(every)} requests in {elapsed:.1f} s: {len(every) / elapsed:.1f} requests/s; "
        f"p50 {percentile(every, 0.5):.0f} ms, p95 {percentile(every, 0.95):.0f} ms, "
        f"p99 {percentile(every, 0.99):.0f} ms; {sum(recorder.errors.values())} errors"
    )
    print(
        f"CPU over the run ({cores:.0f} cores): server {server:.1f} s "
        f"({server / max(1, len(every)) * 1000:.1f} ms per request), load generator "
        f"{own:.1f} s ({own / elapsed:.0%} of one core), whole machine busy "
        f"{busy / total:.0%} (others: {max(0.0, busy - server - own) / elapsed:.2f} cores)"
    )
    print(
        "server processes, CPU seconds over the run: "
        + ", ".join(
            f"{name} {seconds:.1f}" for name, seconds in per_process.items() if seconds >= 0.05
        )
    )
    print(f"load averages (1, 5, 15 min): start {' '.join(loads[0])}, end {' '.join(loads[1])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent virtual users")
    parser.add_argument("--seconds", type=float, default=60, help="length of the measured run")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a user pauses between actions (exponential; default 0: none)",
    )
    parser.add_argument(
        "--shares",
        default="60,20,20",
        help="clinic staff, epidemiologists, ministry API clients (ratios)",
    )
    parser.add_argument(
        "--actions-per-session",
        type=int,
        default=100,
        help="a signed-in user signs out and in again after this many actions",
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=ROOT,
        help="checkout whose .venv and code are served (default: this one)",
    )
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the product's)")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment of the server, e.g. GUNICORN_CMD_ARGS=...",
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=Path.home() / ".cache" / "narcoregistry-bench"
    )
    parser.add_argument("--seed", type=int, default=2003)
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample the gunicorn workers with py-spy during the run, print where the CPU "
        "went and keep the raw stacks in DIR (bench/server_profile.py)",
    )
    args = parser.parse_args()  # fmt: skip
    project = args.project.resolve()
    source, accounts = cached_database(project, args.cache_dir)
    with tempfile.TemporaryDirectory(prefix="registry-load-") as folder:
        database = Path(folder) / "registry.sqlite3"
        shutil.copy(source, database)
        extra = dict(item.split("=", 1) for item in args.server_env)
        env = instance_env(Path(folder), database, extra)
        port = free_port()
        targets = visit_targets(database, args.seed)
        shared = Shared(base=f"http://127.0.0.1:{port}", password=PASSWORD,
                        actions_per_session=args.actions_per_session, think=args.think,
                        **targets)  # fmt: skip
        print(
            f"Serving {project} on 127.0.0.1:{port} (log {folder}/server.log); "
            f"{args.clients} users for {args.seconds:.0f} s, "
            f"{f'{args.think:g} s' if args.think else 'no'} think time; {extra or ''}"
        )
        server = start_server(project, env, port, Path(folder) / "server.log", args.workers)
        try:
            wait_for_plots_drawn_ahead(project, Path(folder) / "server.log")
            figures, spies = asyncio.run(drive(args, shared, accounts, server.pid))
            report(*figures)
            server_profile.report(spies)
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
