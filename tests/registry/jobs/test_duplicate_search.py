"""The duplicate search: the same pairs as the old per-birth-date search, in linear time.

``reference_pairs`` is the search as it was before issue 12 (every pair of keys with one
date of birth and sex, compared letter by letter), kept here as the specification.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from registry.auth.tokens import create_token
from registry.extensions import db
from registry.models import DuplicateCandidate, User
from registry.services.client_codes import ClientIdentifiers, slk581
from registry.services.duplicates import upload_pairs
from tests.conftest import TEST_SECRETS

ROOT = Path(__file__).resolve().parents[3]


def reference_pairs(slks: list[str]) -> dict[tuple[str, str], str]:
    """The search before issue 12: quadratic within each date of birth and sex."""
    blocks: dict[str, list[str]] = defaultdict(list)
    for slk in slks:
        blocks[slk[5:]].append(slk)
    pairs = {}
    for members in blocks.values():
        for a, b in combinations(sorted(members), 2):
            diff = [i for i, (x, y) in enumerate(zip(a[:5], b[:5], strict=True)) if x != y]
            if len(diff) == 1:
                pairs[(a, b)] = "family_name" if diff[0] < 3 else "given_name"
    return pairs


#: Few letters and dates, so that near-identical keys are common.
SLKS = st.lists(
    st.tuples(
        st.text(alphabet="AB29", min_size=5, max_size=5),
        st.sampled_from(["01011980", "02021980", "01011981"]),
        st.sampled_from("12"),
    ).map("".join),
    unique=True,
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(SLKS)
def test_the_blocking_search_finds_exactly_the_pairs_of_the_old_search(slks):
    assert upload_pairs(slks) == reference_pairs(slks)


def test_one_date_of_birth_for_thousands_of_people_gives_the_same_pairs():
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    slks = sorted(
        {
            f"{letters[n % 7]}{letters[n // 7 % 5]}{letters[n // 35 % 3]}"
            f"{letters[n // 105 % 4]}{letters[n // 420 % 6]}150319801"
            for n in range(2000)
        }
    )
    assert upload_pairs(slks) == reference_pairs(slks)  # fmt: skip


def one_letter_pairs(slks: set[str]) -> int:
    """Pairs found by trying every one-letter variant of every key (a third method)."""
    found = set()
    for slk in slks:
        for position in range(5):
            for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ29":
                variant = slk[:position] + letter + slk[position + 1 :]
                if variant != slk and variant in slks:
                    found.add(tuple(sorted((slk, variant))))
    return len(found)


def one_birth_date_csv(people: int) -> tuple[bytes, int]:
    """``people`` distinct identifiers born on one day, and how many pairs they hold."""
    rng = np.random.default_rng(80000)
    letters = list("ABDEFGIKLMNOPRSTUVZ")
    rows, slks = [], set()
    while len(rows) < people:
        family = "".join(rng.choice(letters, size=7)).capitalize()
        given = "".join(rng.choice(letters[:6], size=5)).capitalize()
        ids = ClientIdentifiers(family, given, date(1980, 3, 15), "M")
        slk = slk581(ids)
        if slk in slks:
            continue
        slks.add(slk)
        rows.append({"family_name": family, "given_name": given,
                     "birth_date": "1980-03-15", "sex": "M"})  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["family_name", "given_name", "birth_date", "sex"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(), one_letter_pairs(slks)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(app, tmp_path):
    """The application under gunicorn as ``make run`` starts it (its 30 s worker timeout)."""
    if app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("one backend is enough for the web server's timeout")
    port = free_port()
    env = {
        **os.environ,
        **TEST_SECRETS,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "PASSWORD_HASH_PROFILE": "RFC_9106_LOW_MEMORY",
        "API_RATE_LIMIT": "1000 per minute",
    }
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--timeout", "30"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/login", timeout=30)
            break
        except requests.ConnectionError:
            time.sleep(0.3)
    yield base
    process.terminate()
    process.wait(timeout=30)
    log.close()


def test_8000_rows_of_one_birth_date_upload_under_gunicorn(app, registry_data, gunicorn):
    """Issue 12: this upload hit gunicorn's worker timeout and gave a bare 500."""
    with app.app_context():
        user = db.session.get(User, registry_data.users["epi"])
        _token, secret = create_token(user, "bench", None)
        db.session.commit()
    content, expected = one_birth_date_csv(8000)
    assert expected > 100
    response = requests.post(
        gunicorn + "/api/uploads",
        headers={"Authorization": f"Bearer {secret}"},
        data={"kind": "identifiers", "source_name": "one day", "period": "2003",
              "area_code": "KG"},
        files={"file": ("list.csv", content, "text/csv")},
        timeout=120,
    )  # fmt: skip
    assert response.status_code == 201, response.text[:300]
    assert response.json()["code_count"] == 8000
    with app.app_context():
        pairs = db.session.scalar(select(func.count()).select_from(DuplicateCandidate))
    assert pairs == expected
