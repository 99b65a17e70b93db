"""Client list latency on the 1,000,000-episode registry (issue 13: p95 <= 300 ms).

Run: ``.venv/bin/python bench/client_list.py [--runs 15] [--postgres]``

Reuses the registry :mod:`bench.analytics` builds (the simulator's KZ 1998-2004 build at
scale 6.3, cached in ``/tmp/analytics_bench``; a few minutes the first time). For the
centre with the most episodes it times :func:`registry.services.client_list.list_clients`
(the query, the rows' clients and OST flags, the audit row) under each filter of the
list page, first page and a deep page, and prints p50/p95 per filter and over all.
Each call is rolled back, so the audit rows are not kept. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.analytics import SQLITE, build_sqlite, copy_to_postgres, settings  # noqa: E402
from registry import create_app  # noqa: E402
from registry.extensions import db  # noqa: E402
from registry.models import TreatmentEpisode, User  # noqa: E402
from registry.services.client_list import ClientFilters, list_clients  # noqa: E402

CASES = {
    "no filter": (ClientFilters(), 1),
    "page 40": (ClientFilters(), 40),
    "open episode": (ClientFilters(open_episode=True), 1),
    "on OST": (ClientFilters(on_ost=True), 1),
    "HIV known": (ClientFilters(hiv="known"), 1),
    "HIV not known": (ClientFilters(hiv="unknown"), 1),
    "programme": (ClientFilters(programme="detoxification"), 1),
    "admitted 2003": (
        ClientFilters(admitted_from=date(2003, 1, 1), admitted_to=date(2003, 12, 31)),
        1,
    ),  # fmt: skip
    "code prefix a3": (ClientFilters(code_prefix="a3"), 1),
    "open + OST + HIV": (ClientFilters(open_episode=True, on_ost=True, hiv="known"), 1),
}


def run(url: str, runs: int) -> None:
    app = create_app(settings(url))
    with app.app_context():
        centre_id, episodes = db.session.execute(
            select(TreatmentEpisode.centre_id, func.count())
            .group_by(TreatmentEpisode.centre_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        staff = User(username="bench", role="clinic_staff", centre_id=centre_id, active=True)
        print(f"{url.split(':')[0]}: centre {centre_id} with {episodes} episodes")
        everything = []
        for name, (filters, page) in CASES.items():
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                result = list_clients(staff, centre_id, filters, page=page)
                times.append((time.perf_counter() - start) * 1000)
                db.session.rollback()
            everything += times
            p95 = statistics.quantiles(times, n=20)[-1]
            print(f"  {name:<18} rows {len(result.rows):>3}  p50 {statistics.median(times):6.1f}"
                  f" ms  p95 {p95:6.1f} ms")  # fmt: skip
        p95 = statistics.quantiles(everything, n=20)[-1]
        print(f"  {'all':<18}          p50 {statistics.median(everything):6.1f} ms"
              f"  p95 {p95:6.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    build_sqlite()
    run(f"sqlite:///{SQLITE}", args.runs)
    if args.postgres:
        server = os.environ.get("TEST_POSTGRES_URL", "postgresql://registry:registry@localhost/x")
        run(copy_to_postgres(server), args.runs)


if __name__ == "__main__":
    main()
