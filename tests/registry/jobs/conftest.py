"""Fixtures for estimation jobs: a seeded registry, an API client, and the real worker.

* ``population``: 600 people with known identifiers; about a third were admitted to
  treatment at RNC in 2003, a quarter were on OST at OSH, a third are on a police list
  (kept in memory as identifiers for the upload). Rows are inserted directly (the
  services are tested elsewhere) with codes made by the real ``client_code``.
* ``api``: signs ``epi`` in and sends JSON/multipart requests with the CSRF header.
* ``start_worker``: starts ``python -m registry.jobs.worker`` -- the process ``make run``
  starts -- on the test's database and Huey file; every worker is stopped at the end.
* ``held_jobs``: creates the worker's ``JOB_HOLD_FILE``, so a running job waits at its
  checkpoints (still beating, still cancellable) until the test deletes the file. A test
  acts on a running job without racing the clock; ``make_heartbeat_stale`` makes a dead
  worker's heartbeat old at once instead of waiting for it to age.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import insert, select, update

from registry.extensions import db
from registry.models import Client, EstimationJob, OrgUnit, OstEnrolment, TreatmentEpisode
from registry.models.base import utcnow
from registry.services.client_codes import ClientIdentifiers, client_code
from registry.simulation.forms import ITEM_FIELDS
from tests.conftest import TEST_SECRETS
from tests.registry.web.conftest import AuthActions

ROOT = Path(__file__).resolve().parents[3]
#: The test app's settings a worker started by ``start_worker`` gets too.
WORKER_SETTINGS = (
    "JOBS_SQLITE_PATH",
    "JOB_HEARTBEAT_SECONDS",
    "JOB_HOLD_FILE",
    "ANALYTICS_REFRESH_MINUTES",
    "DRAW_PLOTS_AHEAD",
)
LETTERS = "ABDEFGIKLMNOPRSTUVZ"


@pytest.fixture
def app_config(tmp_path) -> dict:
    """A Huey file of this test's own; a heartbeat (and reaper round) every second.

    Staleness keeps its default (60 s), so a loaded machine never makes a live worker's
    job look abandoned; the fault tests age a heartbeat with ``make_heartbeat_stale``.
    The worker's analytics refresher is off: whether a minute's tick fell within a test
    would otherwise decide whether the worker's one thread also refreshed the tables.
    Nor does it draw plots ahead (``test_plots_ahead.py`` turns that on): its start would
    otherwise draw every plot of the test's registry beside the jobs under test.
    """
    return {
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
        "JOB_HEARTBEAT_SECONDS": 1,
        "JOB_HOLD_FILE": str(tmp_path / "hold-jobs"),
        "ANALYTICS_REFRESH_MINUTES": 0,
        "DRAW_PLOTS_AHEAD": 0,
    }


@pytest.fixture
def held_jobs(app) -> Path:
    """The workers' ``JOB_HOLD_FILE``, created: jobs wait at their checkpoints until it goes."""
    hold = Path(app.config["JOB_HOLD_FILE"])
    hold.touch()
    return hold


def make_heartbeat_stale(app, job_id: int) -> None:
    """Date the job's heartbeat an hour back, as a worker that died an hour ago left it."""
    with app.app_context():
        db.session.execute(
            update(EstimationJob)
            .where(EstimationJob.id == job_id)
            .values(heartbeat_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
        db.session.remove()


def heartbeat(app, job_id: int) -> datetime | None:
    """The job's last heartbeat, read from the database."""
    with app.app_context():
        beat = db.session.scalar(
            select(EstimationJob.heartbeat_at).where(EstimationJob.id == job_id)
        )
        db.session.remove()
    return beat


@dataclass
class Population:
    """Who is on which list (codes), and the police list as identifier rows."""

    lists: dict[str, set[str]] = field(default_factory=dict)
    police_rows: list[dict[str, str]] = field(default_factory=list)

    def police_csv(self, rows: list[dict[str, str]] | None = None) -> bytes:
        """The police list as an identifiers CSV."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["family_name", "given_name", "birth_date", "sex"])
        writer.writeheader()
        writer.writerows(self.police_rows if rows is None else rows)
        return out.getvalue().encode()


def _name(rng: np.random.Generator) -> str:
    return "".join(rng.choice(list(LETTERS), size=int(rng.integers(5, 9)))).capitalize()


#: every coded TDI item "not known"
#: every item "not known" ("ever treated" has its own code for it: 3)
EPISODE_CODES = {**dict.fromkeys((*ITEM_FIELDS, "ost_history"), "99"), "ever_treated": "3"}


@pytest.fixture
def population(app, registry_data) -> Population:
    """Seed 600 people on the treatment, OST and police lists (see the module docstring)."""
    rng = np.random.default_rng(2003)
    result = Population(lists={"treatment": set(), "ost": set(), "police": set()})
    key = TEST_SECRETS["LINKAGE_KEY"]
    with app.app_context():
        region = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "KG-GB"))
        clients, episodes, enrolments = [], [], []
        for person in range(600):
            ids = ClientIdentifiers(
                _name(rng),
                _name(rng),
                date(int(rng.integers(1960, 1990)), int(rng.integers(1, 13)), 1 + person % 28),
                "M" if rng.random() < 0.8 else "F",
            )
            code = client_code(ids, key)
            treated, on_ost, police = rng.random(3) < (0.35, 0.25, 0.35)
            if police:
                result.lists["police"].add(code)
                result.police_rows.append({
                    "family_name": ids.family_name, "given_name": ids.given_name,
                    "birth_date": ids.birth_date.isoformat(), "sex": ids.sex,
                })  # fmt: skip
            if not (treated or on_ost):
                continue
            client_id = len(clients) + 1
            clients.append({"id": client_id, "code": code, "sex": ids.sex,
                            "birth_year": ids.birth_date.year, "region_id": region})  # fmt: skip
            if treated:
                result.lists["treatment"].add(code)
                episodes.append({
                    "client_id": client_id, "centre_id": registry_data.centres["RNC"],
                    "programme": "detoxification", "admission_date": date(2003, 3, 1),
                    "age_at_admission": 2003 - ids.birth_date.year, "secondary_drugs": [],
                    "discharge_date": date(2003, 3, 20), "discharge_reason": "completed",
                    **EPISODE_CODES,
                })  # fmt: skip
            if on_ost:
                result.lists["ost"].add(code)
                enrolments.append({
                    "client_id": client_id, "centre_id": registry_data.centres["OSH"],
                    "medication": "methadone", "enrolment_date": date(2002, 6, 1),
                })  # fmt: skip
        db.session.execute(insert(Client), clients)
        db.session.execute(insert(TreatmentEpisode), episodes)
        db.session.execute(insert(OstEnrolment), enrolments)
        db.session.commit()
    return result


class ApiClient:
    """JSON API calls as ``epi`` with the session cookie and the CSRF header."""

    def __init__(self, client: Any, password: str, username: str = "epi") -> None:
        self.client = client
        assert AuthActions(client, password).login(username).status_code == 302
        self.token = client.get("/api/csrf-token").json["csrf_token"]

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any):
        headers = {"X-CSRFToken": self.token, **kwargs.pop("headers", {})}
        return self.client.post(path, json=json, headers=headers, **kwargs)

    def upload(self, content: bytes, kind: str = "identifiers", **fields: str):
        form = {"kind": kind, "source_name": "police", "period": "2003", "area_code": "KG"}
        form.update(fields)
        form["file"] = (io.BytesIO(content), "list.csv")
        return self.post("/api/uploads", data=form, content_type="multipart/form-data")

    def wait(self, job_id: int, states: tuple[str, ...], timeout: float = 90) -> dict:
        """Poll the job until its state is one of ``states`` (or the timeout)."""
        return self.wait_until(job_id, lambda job: job["state"] in states, timeout)

    def wait_until(self, job_id: int, condition: Any, timeout: float = 90) -> dict:
        """Poll the job until ``condition(job)`` holds (or the timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(f"/api/jobs/{job_id}").json
            if condition(job) or time.monotonic() > deadline:
                return job
            time.sleep(0.2)


@pytest.fixture
def api(client, registry_data) -> ApiClient:
    """The API signed in as ``epi``."""
    return ApiClient(client, registry_data.password)


@pytest.fixture
def start_worker(app, tmp_path):
    """``start_worker(**settings) -> Popen``: the real worker on this test's database."""
    processes: list[subprocess.Popen] = []
    logs: list[Any] = []

    def start(**settings: Any) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env.update(TEST_SECRETS)
        env["DATABASE_URL"] = app.config["DATABASE_URL"]
        for name in WORKER_SETTINGS:
            env[name] = str(app.config[name])
        env.update({name: str(value) for name, value in settings.items()})
        log = open(tmp_path / f"worker-{len(processes)}.log", "w")  # noqa: SIM115
        logs.append(log)
        process = subprocess.Popen(
            [sys.executable, "-m", "registry.jobs.worker", "--workers", "1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()  # as make run stops it (registry.serve)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    for log in logs:
        log.close()
