"""Benchmark of failed sign-ins: an existing name against an unknown one (never asserted).

Run: ``.venv/bin/python bench/sign_in_timing.py [--attempts N] [--database-url URL]``

Posts wrong passwords through the real login form (Flask test client, CSRF on) with the
production argon2 profile, alternating an existing and an unknown name of the same
length, on a temporary SQLite database (or an empty PostgreSQL one). Each name gets
``LOGIN_MAX_FAILURES`` failures (checked: argon2) and then locked attempts (no argon2).
Prints the median and the 10th-90th percentiles of both, per phase: a guesser should
not be able to tell the names apart by the time of the answer.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from registry import create_app
from registry.extensions import db
from registry.services.users import create_user

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
NAMES = ("alice.smith", "bobby.jones")  # the first exists, the second does not


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attempts", type=int, default=10, help="failures before the lock")
    parser.add_argument("--locked", type=int, default=10, help="attempts while locked")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "b" * 40,
                "LINKAGE_KEY": "l" * 40,
                "LOGIN_MAX_FAILURES": args.attempts,
            }
        )
        with app.app_context():
            db.create_all()
            create_user(NAMES[0], "the-right-password", "epidemiologist")
            db.session.commit()
        times: dict[tuple[str, str], list[float]] = {}
        clients = {name: app.test_client() for name in NAMES}
        for attempt in range(args.attempts + args.locked):
            phase = "checked" if attempt < args.attempts else "locked"
            for name in NAMES:
                client = clients[name]
                token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
                data = {"username": name, "password": "wrong-guess-1", "csrf_token": token}
                start = time.perf_counter()
                response = client.post("/login", data=data)
                elapsed = time.perf_counter() - start
                times.setdefault((phase, name), []).append(elapsed)
                expected = 422 if phase == "checked" else 429
                if response.status_code != expected:
                    raise SystemExit(f"{name}: {response.status_code}, expected {expected}")
        for (phase, name), values in times.items():
            deciles = statistics.quantiles(values, n=10) if len(values) > 1 else values * 9
            print(
                f"{phase:8} {'existing' if name == NAMES[0] else 'unknown':8} "
                f"n={len(values):3}  median {1000 * statistics.median(values):7.1f} ms  "
                f"p10-p90 {1000 * deciles[0]:7.1f}-{1000 * deciles[-1]:7.1f} ms"
            )
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
