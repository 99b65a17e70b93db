"""A real server and a real Chromium for browser tests.

``live_server`` serves a fresh application over HTTP on 127.0.0.1 (a free port, werkzeug
in a thread) with a file SQLite database holding the Kyrgyz test centres and the
``clinic-bishkek`` user. ``browser_page`` is a page of Debian's ``chromium`` driven by
Playwright with a fresh profile (Playwright's own browser download is not used).
Browser tests are marked ``browser``; without Chromium they skip, unless
``REQUIRE_BROWSER=1`` (``.ci/run``), which turns a missing browser into a failure.
Set ``BROWSER_SCREENSHOTS=<dir>`` to keep screenshots of each step.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from registry import create_app
from registry.extensions import db
from registry.models import OrgUnit, TreatmentCentre
from tests.conftest import TEST_SECRETS
from tests.registry.conftest import CENTRES, ORG_UNITS, PASSWORD

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class LiveServer:
    """The running application: its base URL, the app object and the database file."""

    url: str
    app: Flask
    database: Path
    password: str = PASSWORD


def chromium_executable() -> str:
    """Path of the Chromium to drive, or skip (fail under ``REQUIRE_BROWSER=1``)."""
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if shutil.which(path) or Path(path).is_file():
        return path
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but no Chromium at {path} (set CHROMIUM_PATH)")
    pytest.skip(f"no Chromium at {path} (set CHROMIUM_PATH)")
    return path


def seed(app: Flask) -> None:
    """Org units, the two centres and the clinic users (password :data:`PASSWORD`)."""
    from registry.services.users import create_user

    with app.app_context():
        db.create_all()
        units: dict[str, OrgUnit] = {}
        for code, name, name_ru, level, parent in ORG_UNITS:
            parent_unit = units.get(parent) if parent else None
            path = (parent_unit.path if parent_unit else "/") + code + "/"
            units[code] = OrgUnit(
                code=code, name=name, name_ru=name_ru, level=level, parent=parent_unit, path=path
            )
            db.session.add(units[code])
        centres = {}
        for code, name, kind, tdi_type, unit_code in CENTRES:
            centres[code] = TreatmentCentre(
                code=code, name=name, kind=kind, tdi_centre_type=tdi_type, org_unit=units[unit_code]
            )
            db.session.add(centres[code])
        db.session.flush()
        create_user("clinic-bishkek", PASSWORD, "clinic_staff", centres["RNC"])
        create_user("clinic-osh", PASSWORD, "clinic_staff", centres["OSH"])
        db.session.commit()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The application served over real HTTP on a free port of 127.0.0.1."""
    database = tmp_path / "registry.sqlite3"
    app = create_app({"DATABASE_URL": f"sqlite:///{database}", **TEST_SECRETS})
    seed(app)
    with serving(app, database) as server:
        yield server


@contextmanager
def serving(app: Flask, database: Path) -> Iterator[LiveServer]:
    """Serve ``app`` over real HTTP on a free port of 127.0.0.1 until the block ends."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, database)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


#: The environment of a Russian desktop. Playwright's ``locale`` sets the language pages
#: see, but Chromium draws its own widgets (the dd.mm.yyyy of a date box) in the language
#: of its process, which Linux takes from ``LANGUAGE`` (Playwright issue 3934). ``LANG``
#: stays as it is: a ``ru_RU`` the system has not generated would make Chromium read a
#: Cyrillic file name as ASCII and lose the upload.
RUSSIAN_DESKTOP = {**os.environ, "LANGUAGE": "ru"}


@pytest.fixture
def browser_page(tmp_path: Path):
    """A Playwright page in Debian's Chromium with a fresh profile, Russian locale."""
    executable = chromium_executable()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=executable,
            args=CHROMIUM_ARGS,
            headless=True,
            locale="ru-RU",
            env=RUSSIAN_DESKTOP,
            viewport={"width": 1280, "height": 720},
        )
        context.set_default_timeout(15_000)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


@pytest.fixture
def screenshot(tmp_path: Path):
    """``screenshot(page, name)``: keep a screenshot when ``BROWSER_SCREENSHOTS`` is set."""
    target = os.environ.get("BROWSER_SCREENSHOTS")

    def take(page, name: str) -> None:
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)

    return take
