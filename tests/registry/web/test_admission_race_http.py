"""Two desks admitting the same new client at the same moment, over real HTTP.

The application is served by a threaded HTTP server on 127.0.0.1 (as in the browser
tests) on SQLite and on PostgreSQL. For each of many new people, two signed-in desks
post the admission form at once (a barrier releases both threads together):

* desks of the same centre and programme: one admission is saved, the other desk gets
  the form back (422) with a message naming the client just created, by code and with a
  link, and with what was typed (not the identifiers, which are never sent back);
* desks of two centres: both admissions are saved, for one client.

Never a 500, and never a half-written record: one client per person, one episode per
saved admission.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Client, TreatmentEpisode
from tests.browser.conftest import serving
from tests.registry.conftest import build_admission_form
from tests.registry.web.conftest import csrf_token_from

PAIRS = 20
FIRST_BIRTH_DATE = date(1970, 1, 1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003 -- urllib's signature
        return None


@dataclass(frozen=True)
class Answer:
    """Status, ``Location`` header and body of one response."""

    status: int
    location: str
    body: str


class Desk:
    """One browser at one desk: its own cookies, signed in as ``username``."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        cookies = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(cookies, _NoRedirect)
        answer = self.post("/login", {"username": username, "password": password}, "/login")
        assert answer.status == 302, answer.status

    def request(self, path: str, data: dict | None = None) -> Answer:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base_url + path, body, timeout=60) as response:
                return Answer(response.status, "", response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers.get("Location", ""), error.read().decode())

    def token(self, path: str) -> str:
        return csrf_token_from(self.request(path).body)

    def post(self, path: str, data: dict, form_path: str | None = None) -> Answer:
        return self.request(path, {**data, "csrf_token": self.token(form_path or path)})


def post_at_once(desks: list[Desk], forms: list[dict]) -> list[Answer]:
    """Post ``forms[i]`` from ``desks[i]`` to /admissions/new, all released together."""
    tokens = [desk.token("/admissions/new") for desk in desks]
    start = threading.Barrier(len(desks))
    answers: list[Answer | None] = [None] * len(desks)

    def send(number: int) -> None:
        form = {**forms[number], "csrf_token": tokens[number]}
        start.wait(timeout=30)
        answers[number] = desks[number].request("/admissions/new", form)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(desks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(answer is not None for answer in answers)
    return answers  # type: ignore[return-value]


def person(number: int) -> dict:
    """The admission form of new person ``number`` (their own birth date, so own code)."""
    birth = FIRST_BIRTH_DATE + timedelta(days=number)
    return build_admission_form(birth_date=birth.isoformat(), admission_date="2003-05-06")


@pytest.fixture
def server(app, registry_data, tmp_path):
    """The test app (SQLite or PostgreSQL) served over real HTTP on 127.0.0.1."""
    with serving(app, tmp_path / "registry.sqlite3") as live:
        yield live


def counts(app) -> tuple[int, int]:
    with app.app_context():
        clients = db.session.scalar(select(func.count()).select_from(Client))
        episodes = db.session.scalar(select(func.count()).select_from(TreatmentEpisode))
        db.session.remove()
        return clients, episodes


def test_two_desks_of_one_centre_saving_the_same_new_client_never_get_a_500(server, registry_data):
    desks = [Desk(server.url, "clinic-bishkek", registry_data.password) for _ in range(2)]
    statuses = []
    for number in range(PAIRS):
        form = person(number)
        answers = post_at_once(desks, [form, form])
        statuses += [answer.status for answer in answers]
        saved = [a for a in answers if a.status == 302]
        refused = [a for a in answers if a.status != 302]
        assert len(saved) == 1 and len(refused) == 1, [a.status for a in answers]
        assert refused[0].status == 422, refused[0].status
        client_path = urllib.parse.urlsplit(saved[0].location).path
        client_id = int(re.fullmatch(r"/clients/(\d+)", client_path)[1])
        with server.app.app_context():
            code = db.session.get(Client, client_id).code
            db.session.remove()
        page = refused[0].body
        assert f'href="/clients/{client_id}"' in page
        assert code[:8] in page
        assert 'value="detoxification" selected' in page  # what was typed is kept
        assert "Асанов" not in page  # ... except the identifiers, never sent back
    assert 500 not in statuses
    assert counts(server.app) == (PAIRS, PAIRS)


def test_two_desks_of_two_centres_saving_the_same_new_client_share_one_client(
    server, registry_data
):
    desks = [
        Desk(server.url, "clinic-bishkek", registry_data.password),
        Desk(server.url, "clinic-osh", registry_data.password),
    ]
    statuses = []
    for number in range(PAIRS):
        form = person(number)
        statuses += [answer.status for answer in post_at_once(desks, [form, form])]
    assert statuses == [302] * (2 * PAIRS)
    assert counts(server.app) == (PAIRS, 2 * PAIRS)
