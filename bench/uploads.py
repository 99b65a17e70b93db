"""Benchmark of identifier uploads: prints wall-clock times (never asserted).

Run: ``.venv/bin/python bench/uploads.py [--rows 100000] [--database-url URL]``

Each line gives the wall-clock time and this process's CPU time (on a shared machine the
CPU time is the steadier figure; SQLite's writes are in this process too).

Each case uploads a CSV of identifiers through the upload service
(:func:`registry.services.uploads.upload_identifier_list`: read, code, store the codes,
search for potential duplicates) and commits, on a temporary SQLite database holding a
registry of 20,000 clients:

1. ``--rows`` identifiers (default 100,000; target <= 10 s, issue 12), duplicates
   included: 6% are a repeated row of someone already listed and 3% the same person with
   one letter of a name changed; births spread over 1950-1999.
2. The same number of rows all born on one day (the worst case of the old search, which
   compared every pair of one date of birth).
3. 8,000 rows of one birth date (issue 12: past gunicorn's 30 s timeout before), small
   enough for the search against registry clients too (``VARIANT_LIMIT``).

4. ``--rows`` identifiers (births spread) with ``UPLOAD_BACKGROUND_ROWS`` low, as a large
   upload runs in production: the request (read, code, registry search, staging rows) and
   then the job that pairs them (:func:`registry.jobs.runner.run_job`, run in this
   process as the worker runs it), each timed.

Cases 1-3 run the whole upload in the request, so the CPU time printed is all of it.
Measured on the shared 2-core machine at load average 10
(wall times inflated by the load; CPU before -> after the issue 12/14 work):
100,000 spread 4.48 -> 2.44 s CPU (7.4 s wall); 100,000 one date 6.96 -> 4.24 s CPU
(10.2 s wall); 8,000 one date with the registry search 2.89 -> 1.02 s CPU. The pair
counts are unchanged (2,778; 105,121; 889), as the tests require.

With the job worker (case 4, 2026-12-05, load of a CI run on the machine): the request
3.05 s (CPU 3.02 s: reading, coding, five keyed block hashes a code, staging rows), the
job 2.01 s (CPU 1.97 s), the same 93,838 codes and 2,778 pairs as case 1 (which took
2.62 s in the request alone). With today's linear search the pairing is the smaller
part, so the staged request is no shorter than a synchronous one for spread births; the
worker bounds what the request does whatever the pairs, and reports progress.
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select

from registry import create_app
from registry.extensions import db
from registry.jobs.runner import run_job
from registry.models import Client, DuplicateCandidate, OrgUnit, User
from registry.services import uploads
from registry.services.client_codes import ClientIdentifiers, client_code

SECRETS = {"SECRET_KEY": "b" * 40, "LINKAGE_KEY": "k" * 40}
LETTERS = np.array(list("ABDEFGIKLMNOPRSTUVZ"))


def people(count: int, rng: np.random.Generator, one_day: bool) -> list[list[str]]:
    """``count`` identifier rows: distinct people, repeated rows and one-letter variants."""
    distinct = int(count * 0.91)
    names = ["".join(row) for row in rng.choice(LETTERS, size=(distinct, 7))]
    given = ["".join(row) for row in rng.choice(LETTERS, size=(distinct, 5))]
    days = rng.integers(0, 50 * 365, distinct)
    rows = []
    for i in range(distinct):
        born = date(1980, 3, 15) if one_day else date(1950, 1, 1) + timedelta(days=int(days[i]))
        rows.append([names[i].capitalize(), given[i].capitalize(), born.isoformat(),
                     "M" if i % 5 else "F"])  # fmt: skip
    repeated = rng.integers(0, distinct, int(count * 0.06))
    rows.extend(list(rows[int(i)]) for i in repeated)
    while len(rows) < count:  # a typing slip: the third letter of the family name changed
        row = list(rows[int(rng.integers(0, distinct))])
        row[0] = row[0][:2] + str(rng.choice(LETTERS)).lower() + row[0][3:]
        rows.append(row)
    order = rng.permutation(len(rows))
    return [rows[int(i)] for i in order]


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["family_name", "given_name", "birth_date", "sex"])
    writer.writerows(rows)
    return out.getvalue().encode()


def seed(rows: list[list[str]], rng: np.random.Generator) -> int:
    """The country, an epidemiologist, and 20,000 registry clients (some of them listed)."""
    db.session.add(OrgUnit(code="KG", name="Kyrgyz Republic", level=1, path="/KG/"))
    epi = User(username="bench-epi", password_hash="!", role="epidemiologist", active=True)  # noqa: S106
    db.session.add(epi)
    db.session.flush()
    chosen = rng.choice(len(rows), size=min(20_000, len(rows)), replace=False)
    clients = {}
    for i in chosen:
        family, given, born, sex = rows[int(i)]
        ids = ClientIdentifiers(family, given, date.fromisoformat(born), sex)
        clients[client_code(ids, SECRETS["LINKAGE_KEY"])] = (sex, ids.birth_date.year)
    db.session.execute(insert(Client), [
        {"code": code, "sex": sex, "birth_year": year} for code, (sex, year) in clients.items()
    ])  # fmt: skip
    db.session.commit()
    return epi.id


def run_case(
    url: str, label: str, rows: list[list[str]], rng: np.random.Generator, background: bool = False
) -> None:
    settings = {"UPLOAD_BACKGROUND_ROWS": 1 if background else 0}
    app = create_app({"DATABASE_URL": url, **SECRETS, "TESTING": True, **settings})
    with app.app_context():
        db.drop_all()
        db.create_all()
        epi = db.session.get(User, seed(rows, rng))
        content = as_csv(rows)
        began, cpu = time.perf_counter(), time.process_time()
        source = uploads.upload_identifier_list(
            io.BytesIO(content), source_name="bench", period="2003", area_code="KG",
            actor=epi, key=SECRETS["LINKAGE_KEY"],
        )  # fmt: skip
        db.session.commit()
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
        if background:  # the job as the worker runs it, in this process
            job_id = source.job.id
            print(f"{label}: the request".ljust(52), f"{elapsed:7.2f} s (CPU {cpu:5.2f} s)")
            began, cpu = time.perf_counter(), time.process_time()
            assert run_job(job_id) == "succeeded"
            elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
            label = f"{label}: the job"
        pairs = db.session.scalar(select(func.count()).select_from(DuplicateCandidate))
        print(f"{label}".ljust(52), f"{elapsed:7.2f} s (CPU {cpu:5.2f} s)  "
              f"({source.code_count:,} codes, "
              f"{pairs:,} duplicate pairs)")  # fmt: skip
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    rng = np.random.default_rng(2003)
    with tempfile.TemporaryDirectory() as workdir:
        url = args.database_url or f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
        run_case(url, f"{args.rows:,} identifiers, births spread",
                 people(args.rows, rng, one_day=False), rng)  # fmt: skip
        run_case(url, f"{args.rows:,} identifiers, one birth date",
                 people(args.rows, rng, one_day=True), rng)  # fmt: skip
        run_case(url, "8,000 identifiers, one birth date (+ registry search)",
                 people(8000, rng, one_day=True), rng)  # fmt: skip
        rng = np.random.default_rng(2003)  # the first case's rows and registry again
        run_case(url, f"{args.rows:,} identifiers in the worker",
                 people(args.rows, rng, one_day=False), rng, background=True)  # fmt: skip


if __name__ == "__main__":
    main()
