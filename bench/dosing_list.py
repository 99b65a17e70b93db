"""Benchmark of today's dosing list for a centre with many clients on OST (never asserted).

Run: ``.venv/bin/python bench/dosing_list.py [--clients 500] [--days 90] [--requests 30]
[--database-url URL]``

Fills a temporary SQLite database (or an empty PostgreSQL one) with one centre whose
``--clients`` clients are on methadone, each with a prescription and ``--days`` days of
dose history (every 7th day missed, some take-home doses, a few clients with a gap),
signs in as the centre's staff and times ``GET /ost/today`` through the real app (Flask
test client). Prints p50 and p95 in ms. The issue's target: p95 <= 300 ms for 500 clients.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert

from registry import create_app
from registry.extensions import db
from registry.models import Client, DoseChange, DosingEvent, OrgUnit, OstEnrolment, TreatmentCentre
from registry.services.users import create_user

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "bench-password-1"  # noqa: S105 -- a throwaway database


def fill(clients: int, days: int) -> None:
    """One centre, its staff user, and the OST clients with their dose history."""
    unit = OrgUnit(code="KG", name="Kyrgyz Republic", level=1, path="/KG/")
    centre = TreatmentCentre(code="RNC", name="Centre", kind="narcological_dispensary",
                             tdi_centre_type="1", org_unit=unit)  # fmt: skip
    db.session.add_all([unit, centre])
    db.session.flush()
    create_user("staff", PASSWORD, "clinic_staff", centre)
    today = date.today()
    start = today - timedelta(days=days)
    db.session.execute(insert(Client), [
        {"id": n + 1, "code": f"{n:064x}", "sex": "M", "birth_year": 1980}
        for n in range(clients)
    ])  # fmt: skip
    db.session.execute(insert(OstEnrolment), [
        {"id": n + 1, "client_id": n + 1, "centre_id": centre.id, "medication": "methadone",
         "enrolment_date": start, "induction_dose_mg": 30}
        for n in range(clients)
    ])  # fmt: skip
    db.session.execute(insert(DoseChange), [
        {"enrolment_id": n + 1, "effective_date": start + timedelta(days=offset),
         "dose_mg": mg, "phase": phase, "reason": "clinical_review"}
        for n in range(clients)
        for offset, mg, phase in ((0, 30, "induction"), (14, 80, "maintenance"))
    ])  # fmt: skip
    doses = []
    for n in range(clients):
        last = days - (5 if n % 25 == 0 else 1)  # every 25th client has a gap
        for offset in range(last + 1):
            kind = "missed" if offset % 7 == 6 else "observed"
            doses.append({"enrolment_id": n + 1, "dose_date": start + timedelta(days=offset),
                          "dose_mg": 0 if kind == "missed" else 80, "kind": kind,
                          "take_home_days": 1})  # fmt: skip
    for chunk in range(0, len(doses), 50_000):
        db.session.execute(insert(DosingEvent), doses[chunk : chunk + 50_000])
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "b" * 40, "LINKAGE_KEY": "l" * 40})
        with app.app_context():
            db.create_all()
            fill(args.clients, args.days)
        client = app.test_client()
        token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
        client.post("/login", data={"username": "staff", "password": PASSWORD,
                                    "csrf_token": token})  # fmt: skip
        times = []
        for _ in range(args.requests + 2):
            begin = time.perf_counter()
            response = client.get("/ost/today")
            times.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, response.status_code
        times = sorted(times[2:])  # the first two warm the caches
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"GET /ost/today, {args.clients} clients on OST, {args.days} days of doses, "
              f"{args.requests} requests: p50 {statistics.median(times):.0f} ms, "
              f"p95 {p95:.0f} ms")  # fmt: skip
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
