"""Benchmark of estimation jobs: prints wall-clock times (never asserted).

Run: ``.venv/bin/python bench/jobs.py [--clients N --episodes N --list-size N] [--skip-demo]``

1. *Linkage*: a registry of 420,000 clients and 1,000,000 treatment episodes (1998-2004,
   inserted directly, like the simulator's million-episode build) plus two uploaded lists
   of 100,000 codes each (through the upload service); then the capture histories of
   treatment entrants, registrations, OST and both lists for 2003 (target: under 10 s).
2. *Submit to result*: the default demo (``flask demo load``), the real worker started as
   ``make run`` starts it, the default study (model search with the AIC model average) on
   treatment entrants + HIV-tested + OST, then on entrants + the three uploaded lists, for
   Kyrgyzstan 2003: time from the committed submission to the stored result.

Both parts use a temporary SQLite database (``--database-url`` for PostgreSQL, which must
be empty).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from registry import create_app
from registry.extensions import db
from registry.models import (
    Client,
    EstimationJob,
    OrgUnit,
    OstEnrolment,
    TreatmentCentre,
    TreatmentEpisode,
    User,
)
from registry.services import linkage, studies, uploads
from registry.services.methods import sources
from registry.simulation.forms import ITEM_FIELDS

ROOT = Path(__file__).resolve().parents[1]
SECRETS = {"SECRET_KEY": "b" * 40, "LINKAGE_KEY": "k" * 40}
#: every coded TDI item "not known"
#: every item "not known" ("ever treated" has its own code for it: 3)
CODES = {**dict.fromkeys((*ITEM_FIELDS, "ost_history"), "99"), "ever_treated": "3"}


def code(number: int) -> str:
    """A stand-in 64-hex client code for person ``number``."""
    return f"{number:064x}"


def seed_registry(clients: int, episodes: int, rng: np.random.Generator) -> int:
    """Insert org units, two centres, an epidemiologist and the clients and episodes."""
    country = OrgUnit(code="KG", name="Kyrgyz Republic", level=1, path="/KG/")
    db.session.add(country)
    db.session.flush()
    dispensary = TreatmentCentre(code="RNC", name="RNC", kind="narcological_dispensary",
                                 tdi_centre_type="2", org_unit_id=country.id)  # fmt: skip
    epi = User(
        username="bench-epi",
        password_hash="!",  # noqa: S106  (cannot sign in)
        role="epidemiologist",
        active=True,
    )
    db.session.add_all([dispensary, epi])
    db.session.flush()
    birth_years = rng.integers(1950, 1990, clients)
    db.session.execute(insert(Client), [
        {"id": i + 1, "code": code(i), "sex": "M", "birth_year": int(birth_years[i])}
        for i in range(clients)
    ])  # fmt: skip
    owners = rng.integers(1, clients + 1, episodes)
    days = rng.integers(0, 7 * 365, episodes)
    start = date(1998, 1, 1)
    batch = 100_000
    for first in range(0, episodes, batch):
        db.session.execute(insert(TreatmentEpisode), [
            {"client_id": int(owners[i]), "centre_id": dispensary.id, "programme": "outpatient",
             "admission_date": start + timedelta(days=int(days[i])), "age_at_admission": 30,
             "secondary_drugs": [], "discharge_date": start + timedelta(days=int(days[i]) + 20),
             "discharge_reason": "completed", **CODES}
            for i in range(first, min(first + batch, episodes))
        ])  # fmt: skip
    on_ost = rng.choice(clients, size=clients // 40, replace=False)
    db.session.execute(insert(OstEnrolment), [
        {"client_id": int(c) + 1, "centre_id": dispensary.id, "medication": "methadone",
         "enrolment_date": date(2002, 1, 1) + timedelta(days=int(c % 700))}
        for c in on_ost
    ])  # fmt: skip
    db.session.commit()
    return epi.id


def bench_linkage(url: str, clients: int, episodes: int, list_size: int) -> None:
    """Part 1: histories of a large registry plus two uploaded lists of codes."""
    app = create_app({"DATABASE_URL": url, **SECRETS, "TESTING": True})
    rng = np.random.default_rng(2003)
    with app.app_context():
        db.create_all()
        began = time.perf_counter()
        epi_id = seed_registry(clients, episodes, rng)
        print(f"registry: {clients:,} clients, {episodes:,} episodes inserted in "
              f"{time.perf_counter() - began:.1f} s")  # fmt: skip
        epi = db.session.get(User, epi_id)
        refs = []
        for name in ("police", "ngo"):
            people = rng.choice(clients * 2, size=list_size, replace=False)  # half unknown
            content = ("code\n" + "\n".join(code(int(p)) for p in people)).encode()
            began = time.perf_counter()
            source = uploads.upload_code_list(io.BytesIO(content), source_name=name,
                                              period="2003", area_code="KG", actor=epi)  # fmt: skip
            db.session.commit()
            print(f"upload of {list_size:,} codes ({name})".ljust(50),
                  f"{time.perf_counter() - began:7.2f} s")  # fmt: skip
            refs.append(source.ref)
        lists = ["registry:treatment_entrants", "registry:registrations", "registry:ost", *refs]
        for attempt in range(2):
            began = time.perf_counter()
            histories, report = linkage.build_histories(lists, period="2003", area_code="KG")
            elapsed = time.perf_counter() - began
            print(f"histories of 5 lists, 2003 (run {attempt + 1})".ljust(50),
                  f"{elapsed:7.2f} s  observed {report['observed']:,}, "
                  f"lists {[e['count'] for e in report['lists']]}")  # fmt: skip
        kg = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "KG"))
        for day in (date(2003, 12, 31), date(2003, 6, 30)):
            began = time.perf_counter()
            count = sources.registered(kg, day)  # the users-per-registered denominator
            print(f"register on {day} (ratio's denominator)".ljust(50),
                  f"{time.perf_counter() - began:7.2f} s  {count:,} people")  # fmt: skip
    with app.app_context():
        db.engine.dispose()


def bench_submit_to_result(url: str, workdir: Path) -> None:
    """Part 2: the default study (model search, AIC average) on the default demo, submit to
    stored result."""
    settings = {"DATABASE_URL": url, **SECRETS, "JOBS_SQLITE_PATH": str(workdir / "jobs.db")}
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    began = time.perf_counter()
    lists_dir, truth_file = workdir / "lists", workdir / "truth.json"
    result = app.test_cli_runner().invoke(
        args=["demo", "load", "--lists-out", str(lists_dir), "--truth-out", str(truth_file)]
    )
    assert result.exit_code == 0, result.output
    print("demo load".ljust(50), f"{time.perf_counter() - began:7.2f} s")
    env = {**os.environ, **{k: str(v) for k, v in settings.items()}}
    env.pop("REDIS_URL", None)
    worker = subprocess.Popen([sys.executable, "-m", "registry.jobs.worker", "--workers", "1"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(3)  # the worker's start-up is not part of the figure
        with app.app_context():
            actor = db.session.scalar(select(User).where(User.role == "epidemiologist"))
            data = {"method": "capture_recapture", "period": "2003", "area_code": "KG",
                    "lists": ["registry:treatment_entrants", "registry:hiv_tested",
                              "registry:ost"], "parameters": {}}  # fmt: skip
            refs = []
            for source in ("police", "prison", "hiv_testing"):
                with open(lists_dir / f"{source}.csv", "rb") as handle:
                    uploaded = uploads.upload_code_list(handle, source_name=source,
                                                        period="2003", area_code="KG",
                                                        actor=actor)  # fmt: skip
                refs.append(uploaded.ref)
            db.session.commit()
            truth = json.loads(truth_file.read_text())["national"]["2003"]["users"]
            combined = ["registry:treatment_entrants", *refs]
            for label, lists in (("registry lists", data["lists"]),
                                 ("entrants + police, prison, AIDS centre", combined)):  # fmt: skip
                began = time.perf_counter()
                job = studies.create_study({**data, "lists": lists}, actor=actor)
                db.session.commit()
                job = _wait(job.id)
                elapsed = time.perf_counter() - began
                estimate = job.result.payload["estimate"] if job.result else {}
                low, high = estimate.get("ci_low") or 0, estimate.get("ci_high") or 0
                inside = "inside" if low <= truth <= high else "OUTSIDE"
                print(f"default study, demo ({label}), submit to result".ljust(50),
                      f"{elapsed:7.2f} s  {job.state} {estimate.get('name')} "
                      f"N={estimate.get('abundance') or 0:,.0f} ({low:,.0f}-{high:,.0f}); "
                      f"truth {truth:,} {inside}")  # fmt: skip
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _wait(job_id: int) -> EstimationJob:
    while True:
        db.session.expire_all()
        job = db.session.get(EstimationJob, job_id)
        if job is not None and job.finished:
            return job
        time.sleep(0.05)


def main() -> None:
    """Run both parts and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=420_000)
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--list-size", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite:///{workdir / 'linkage.sqlite3'}"
        bench_linkage(url, args.clients, args.episodes, args.list_size)
        if not args.skip_demo:
            bench_submit_to_result(f"sqlite:///{workdir / 'demo.sqlite3'}", workdir)


if __name__ == "__main__":
    main()
