"""Fixtures shared by the whole suite: the app on each database backend, client, runner.

Every test that uses ``app`` runs on SQLite and, when ``TEST_POSTGRES_URL`` is set, on
PostgreSQL too (``.ci/run`` sets it; ``REQUIRE_POSTGRES=1`` turns a missing server into a
failure instead of a skip). SQLite gets a fresh copy of an empty database per test;
PostgreSQL gets its schema once per session and every table truncated between tests.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, make_url, text

from registry import create_app
from registry.config import normalise_database_url
from registry.extensions import db

TEST_SECRETS = {
    "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789abcdef",
    "LINKAGE_KEY": "test-linkage-key-0123456789abcdef0123456789abcdef",
}
#: argon2's cheapest parameters: thousands of test sign-ins would otherwise take minutes
#: (production refuses this profile; tests/registry/test_users.py checks the default).
FAST_HASHES = {"PASSWORD_HASH_PROFILE": "CHEAPEST"}

# Property tests never depend on the machine's speed: no deadline per example and no
# "too slow" health check by default (a loaded machine is slow; the code is not wrong).
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with a test marked ``slow`` first, each file's tests kept together: the
    parallel run hands out whole files in this order (``--no-loadscope-reorder`` in the
    Makefile). xdist's own order puts the files of few tests last, which left the longest
    file (the attacker's two tests, three minutes) running alone at the end."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)


class ProcessTemplateCache(BytecodeCache):
    """Compiled templates kept for the whole pytest process.

    Every test builds a new app, and each app's Jinja environment would compile every
    template it renders again (about 70 ms for the sign-in alone). Jinja checks each
    entry against its template's source, so an edited template is compiled anew."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = ProcessTemplateCache()


def postgres_url() -> str | None:
    """The PostgreSQL URL for tests, or skip (fail under ``REQUIRE_POSTGRES=1``)."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")
    pytest.skip("PostgreSQL not configured (set TEST_POSTGRES_URL; .ci/run does)")
    return None


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest):
    """Name of the database backend under test.

    PostgreSQL gets a database of its own for this pytest process (created from the
    server of ``TEST_POSTGRES_URL`` and dropped at the end), so concurrent runs on one
    server never share tables.
    """
    if request.param == "sqlite":
        yield "sqlite"
        return
    server_url = make_url(normalise_database_url(postgres_url()))
    name = f"registry_test_{os.getpid()}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    os.environ["REGISTRY_TEST_POSTGRES_URL"] = server_url.set(database=name).render_as_string(
        hide_password=False
    )
    app = create_app({"DATABASE_URL": os.environ["REGISTRY_TEST_POSTGRES_URL"], **TEST_SECRETS})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield "postgresql"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def app_config() -> dict:
    """Extra settings for one test's app; override this fixture in a module to change them."""
    return {}


@pytest.fixture(scope="session")
def empty_sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the schema and no rows, made once per process: each test gets a
    copy (making the schema took 40 ms of every SQLite test)."""
    path = tmp_path_factory.mktemp("schema") / "registry.sqlite3"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", **TEST_SECRETS})
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()  # the last connection closed: the WAL is in the file
    return path


@pytest.fixture
def app(backend: str, tmp_path, app_config: dict, empty_sqlite_database: Path):
    """A fresh application with an empty database on ``backend``."""
    if backend == "postgresql":
        url = os.environ["REGISTRY_TEST_POSTGRES_URL"]
    else:
        database = tmp_path / "registry.sqlite3"
        shutil.copyfile(empty_sqlite_database, database)
        url = f"sqlite:///{database}"
    settings = {"TESTING": True, "DATABASE_URL": url, **TEST_SECRETS, **FAST_HASHES, **app_config}
    app = create_app(settings)
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    with app.app_context():
        if backend == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """Flask test client: real requests through the WSGI app, cookies kept."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Flask CLI runner."""
    return app.test_cli_runner()


@pytest.fixture(autouse=True)
def every_adx_answer_is_valid():
    """Every ADX answer of any test validates against the IHE ADX schema and imports into
    DHIS2 with our metadata package (:mod:`tests.registry.analytics.adx_check`)."""
    from flask import request_finished

    errors: list[str] = []

    def check(_sender, response, **_extra):
        if response.mimetype != "application/adx+xml":
            return
        from registry.analytics.dhis2_metadata import metadata_package
        from tests.registry.analytics.adx_check import record_adx_errors

        errors.extend(record_adx_errors(response, metadata_package([])))

    request_finished.connect(check)
    yield
    request_finished.disconnect(check)
    assert errors == [], "ADX answers DHIS2 would refuse:\n" + "\n".join(errors[:20])
