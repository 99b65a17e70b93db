"""The virtual users of ``bench/load.py``: clinic staff, epidemiologists, ministry machines.

Each virtual user is one browser (its own cookie jar and keep-alive connection) or one API
client (its own token), and loops until the deadline: without think time, as the attack run
of issue 12 did, or pausing between actions for ``think`` seconds on average (drawn from an
exponential distribution, as people's pauses are usually modelled; each user also waits
one such pause before its first action: when all 50 started in the same second, that
first burst was 5 % of a 60 s run at 5 s of think time and made its p95 854 ms, against
69 ms with the starts spread). One action can be
several requests, sent one after the other as a browser sends them (the form page, its
POST, the page the redirect leads to), timed one by one under a *kind*:

- clinic staff (signed in): the centre dashboard; a client page; a test result, a dose
  visit or a new admission (the form page, the POST with its CSRF token, then the page the
  redirect leads to); a dose visit starts from today's dosing list and doses a client not
  yet dosed today, as staff do; every ``actions_per_session`` actions, sign out and in
  again;
- epidemiologists (signed in): the studies pages, a job page with its plots, the ministry
  dashboard of a year with its three plots, an upload;
- ministry machines (``Authorization: Bearer``): analytics API reads, JSON and CSV.

Static files are not fetched (a browser keeps them). Loopback only: the base URL is
checked in :func:`run_users`.
"""

from __future__ import annotations

import asyncio
import random
import re
import string
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

import aiohttp

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DOSE_INPUT = re.compile(r'<input[^>]*name="dose_mg"[^>]*>')
VALUE = re.compile(r'value="([^"]*)"')
#: A row of today's dosing list (``/ost/today``): enrolment id, status, the row's cells.
ROW = re.compile(r'<tr id="row-(\d+)" data-status="(\w+)">(.*?)</tr>', re.S)
QUICK_DOSE = 'name="kind" value="observed"'  # the row's one-click dose button
REINDUCTION_MG = "8"  # within the induction limit of both medications (16 and 40 mg)
IMAGES = re.compile(r'<img src="([^"]+\.png[^"]*)"')
FIRST_DAY, LAST_DAY = date(2005, 1, 1), date.today() - timedelta(days=1)
PANELS = (
    "dx=REG_CLIENTS;EST_USERS;EST_USERS_LOW;EST_USERS_HIGH;EST_PER_REG&ou=LEVEL-1;LEVEL-2",
    "dx=OST_CLIENTS;EST_USERS;OST_COVERAGE&ou=LEVEL-1;LEVEL-2",
    "dx=REG_CLIENTS&ou=LEVEL-1;LEVEL-2&dimension=sex&dimension=age",
    "dx=TDI_ENTRANTS;REG_NEW&ou=KG;LEVEL-2&dimension=sex",
    "dx=HIV_PWID_TESTED;HIV_PWID_POSITIVE;HIV_PWID_PREVALENCE&ou=LEVEL-1",
)


@dataclass
class Recorder:
    """Latencies (seconds) and outcomes by kind; errors are 5xx and connection failures."""

    deadline: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    unexpected: dict[str, dict[str, int]] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)

    def open(self) -> bool:
        return time.monotonic() < self.deadline

    def add(self, kind: str, seconds: float, outcome: int | str, expected: tuple[int, ...]):
        self.latencies.setdefault(kind, []).append(seconds)
        if isinstance(outcome, str) or outcome >= 500:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.samples) < 10:
                self.samples.append(f"{kind}: {outcome}")
        elif outcome not in expected:
            counts = self.unexpected.setdefault(kind, {})
            counts[str(outcome)] = counts.get(str(outcome), 0) + 1


class ActionEndedError(Exception):
    """The deadline passed, or a request failed: the action ends here."""


@dataclass
class Shared:
    """What every virtual user reads: the ids to visit and the settings of the run."""

    base: str
    password: str
    clients: dict[str, list[int]]  # centre code -> client ids with records there
    jobs: list[int]
    uploads: list[int]
    years: list[int]
    actions_per_session: int
    think: float = 0.0  # mean seconds between a user's actions (0: none)
    dosed_today: set[int] = field(default_factory=set)  # enrolment ids


class Browser:
    """One user's browser: a cookie jar, a keep-alive connection, the last CSRF token."""

    def __init__(self, shared: Shared, recorder: Recorder, seed: int, headers=None) -> None:
        self.shared, self.recorder = shared, recorder
        self.rng = random.Random(seed)
        self.session = aiohttp.ClientSession(
            shared.base,
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies of 127.0.0.1
            connector=aiohttp.TCPConnector(limit=1),
            timeout=aiohttp.ClientTimeout(total=60),
            headers=headers,
        )
        self.csrf = ""
        self.signed_out = False  # a page sent us to the login form: sign in again

    async def call(self, kind, method, path, data=None, expected=(200,)) -> tuple[int, str, str]:
        """One request, timed; returns status, body and redirect location."""
        if not self.recorder.open():
            raise ActionEndedError
        start = time.monotonic()
        try:
            async with self.session.request(
                method, path, data=data, allow_redirects=False
            ) as response:
                raw = await response.read()
                text = response.content_type.startswith("text/")
                body = raw.decode(errors="replace") if text else ""
                status, location = response.status, response.headers.get("Location", "")
        except (aiohttp.ClientError, TimeoutError) as error:
            self.recorder.add(kind, time.monotonic() - start, type(error).__name__, expected)
            raise ActionEndedError from error
        self.recorder.add(kind, time.monotonic() - start, status, expected)
        if status not in expected:
            self.signed_out = status in (302, 303) and location.split("?")[0].endswith("/login")
            raise ActionEndedError
        token = CSRF.search(body)
        if token:
            self.csrf = token.group(1)
        return status, body, urlsplit(location).path

    async def post(self, kind: str, path: str, fields: dict[str, str]) -> str:
        """POST a form with the CSRF token; returns where the redirect leads."""
        _, _, location = await self.call(
            kind, "POST", path, {**fields, "csrf_token": self.csrf}, (302, 303)
        )
        return location

    async def think(self) -> None:
        """Pause between two actions (``Shared.think`` seconds on average), never past
        the deadline."""
        if self.shared.think > 0:
            pause = self.rng.expovariate(1 / self.shared.think)
            await asyncio.sleep(max(0.0, min(pause, self.recorder.deadline - time.monotonic())))

    def day(self) -> date:
        return FIRST_DAY + timedelta(days=self.rng.randrange((LAST_DAY - FIRST_DAY).days))


class SignedInUser(Browser):
    """A browser user who signs in with ``username`` and signs out now and then."""

    def __init__(self, username: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.username = username

    async def sign_in(self, kind: str = "login") -> None:
        await self.call("login page", "GET", "/login")
        credentials = {"username": self.username, "password": self.shared.password, "next": ""}
        await self.post(kind, "/login", credentials)

    async def run(self) -> None:
        actions = 0
        await self.think()  # users arrive at random times, not all in the first second
        while self.recorder.open():
            try:
                if self.signed_out:
                    self.signed_out = False
                    await self.sign_in()
                elif actions and actions % self.shared.actions_per_session == 0:
                    await self.post("logout", "/logout", {})
                    await self.sign_in()
                actions += 1
                await self.act()
            except ActionEndedError:
                continue
            finally:
                await self.think()
        await self.session.close()

    async def act(self) -> None:
        raise NotImplementedError


class ClinicStaff(SignedInUser):
    """Clinic staff of one centre: dashboard, client pages and saved forms."""

    def __init__(self, centre: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.centre = centre

    async def act(self) -> None:
        choice = self.rng.choices(("dashboard", "client", "lab", "dose", "admission"),
                                  (30, 30, 15, 15, 5))[0]  # fmt: skip
        client = self.rng.choice(self.shared.clients[self.centre])
        if choice == "dashboard":
            await self.call("dashboard", "GET", "/dashboard")
        elif choice == "client":
            await self.call("client page", "GET", f"/clients/{client}")
        elif choice == "lab":
            await self.lab_test(client)
        elif choice == "dose":
            await self.dose()
        else:
            await self.admission()

    async def dose(self) -> None:
        """A dose visit as staff record one: today's list, a client not yet dosed today
        (claimed so that no other virtual user doses them too), then the row's button, or
        the dose form with a re-induction decision when the row asks for one (after a gap
        over the protocol limit, as every client of the demo is on its first dose: its
        records end years ago). With everybody dosed, a test result is recorded instead."""
        _, body, _ = await self.call("dosing list", "GET", "/ost/today")
        due = [(int(m.group(1)), m.group(3)) for m in ROW.finditer(body) if m.group(2) == "due"]
        free = [(row, cells) for row, cells in due if row not in self.shared.dosed_today]
        if not free:
            await self.lab_test(self.rng.choice(self.shared.clients[self.centre]))
            return
        enrolment, cells = self.rng.choice(free)
        self.shared.dosed_today.add(enrolment)
        if QUICK_DOSE in cells:
            path = f"/ost/today/{enrolment}"
            location = await self.post("save", path, {"kind": "observed"})
            await self.call("dosing list", "GET", location)
            return
        path = f"/ost/{enrolment}/doses/new"
        _, body, _ = await self.call("form page", "GET", path)
        given = DOSE_INPUT.search(body)
        value = VALUE.search(given.group(0)) if given else None
        dose = value.group(1) if value and value.group(1) else REINDUCTION_MG
        fields = {"dose_date": date.today().isoformat(), "kind": "observed", "dose_mg": dose}
        if 'name="reinduction_reason"' in body:
            fields["reinduction_reason"] = "missed_doses"
        await self.call("dosing list", "GET", await self.post("save", path, fields))

    async def lab_test(self, client: int) -> None:
        path = f"/clients/{client}/lab-tests/new"
        await self.call("form page", "GET", path)
        fields = {"test": self.rng.choice(("HIV", "HCV", "TB")),
                  "sample_date": self.day().isoformat(), "result": "negative"}  # fmt: skip
        await self.call("client page", "GET", await self.post("save", path, fields))

    async def admission(self) -> None:
        await self.call("form page", "GET", "/admissions/new")
        letters = string.ascii_uppercase
        fields = {
            "family_name": "".join(self.rng.choices(letters, k=8)),
            "given_name": "".join(self.rng.choices(letters, k=6)),
            "birth_date": date(self.rng.randint(1960, 1990), 6, 15).isoformat(),
            "sex": self.rng.choice(("M", "F")),
            "region_code": "KG-GB" if self.centre == "RNC" else "KG-O",
            "programme": "outpatient",
            "admission_date": self.day().isoformat(),
            "primary_drug": self.rng.choice(("1.1", "1.2", "3.1")),
        }
        location = await self.post("save", "/admissions/new", fields)
        await self.call("client page", "GET", location)


class Epidemiologist(SignedInUser):
    """An epidemiologist: studies pages, results with plots, the ministry dashboard."""

    async def act(self) -> None:
        choice = self.rng.choices(("home", "jobs", "job", "ministry", "upload"),
                                  (20, 20, 20, 25, 15))[0]  # fmt: skip
        if choice == "home":
            await self.call("studies page", "GET", "/studies/")
        elif choice == "jobs":
            await self.call("studies page", "GET", "/studies/jobs")
        elif choice == "upload":
            upload = self.rng.choice(self.shared.uploads)
            await self.call("studies page", "GET", f"/studies/uploads/{upload}")
        else:
            if choice == "job":
                page = ("job page", f"/studies/jobs/{self.rng.choice(self.shared.jobs)}")
            else:
                page = ("ministry page", f"/ministry/?year={self.rng.choice(self.shared.years)}")
            _, body, _ = await self.call(*page[:1], "GET", page[1])
            for image in IMAGES.findall(body):
                await self.call("plot", "GET", image.replace("&amp;", "&"))


class MinistryMachine(Browser):
    """A ministry's reporting script: analytics API reads with its own token."""

    async def run(self) -> None:
        await self.think()
        while self.recorder.open():
            year = self.rng.choice(self.shared.years)
            query = f"{self.rng.choice(PANELS)}&pe={year}"
            path = self.rng.choice(("/api/v1/analytics", "/api/v1/analytics.csv"))
            try:
                await self.call("api", "GET", f"{path}?{query}")
            except ActionEndedError:
                continue
            finally:
                await self.think()
        await self.session.close()
