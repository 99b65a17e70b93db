"""Fixtures shared by the whole suite: the app on each database backend, client, runner.

Every test that uses ``app`` runs on SQLite and, when ``TEST_POSTGRES_URL`` is set, on
PostgreSQL too (``.ci/run`` sets it; ``REQUIRE_POSTGRES=1`` turns a missing server into a
failure instead of a skip), unless it is marked ``backend_neutral``. SQLite gets a fresh
copy of an empty database per test; PostgreSQL gets its schema once per process and
every table emptied before each test.
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files with a test marked ``slow`` first, each file's tests kept together: the
    parallel run hands out whole files in this order (``--no-loadscope-reorder`` in the
    Makefile). xdist's own order puts the files of few tests last, which left the longest
    file (the attacker's two tests, three minutes) running alone at the end.

    A test marked ``backend_neutral`` runs on SQLite only: what it checks is decided
    before or beside the database (a document, a process, numerics on data the other
    tests prove both backends store alike), and its PostgreSQL run cost minutes."""
    neutral = [item for item in items if item.get_closest_marker("backend_neutral")
               and getattr(item, "callspec", None) is not None
               and item.callspec.params.get("backend") == "postgresql"]  # fmt: skip
    if neutral:
        config.hook.pytest_deselected(items=neutral)
        dropped = set(neutral)
        items[:] = [item for item in items if item not in dropped]
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
    if request.param == "postgresql":
        request.getfixturevalue("postgres_database")
    return request.param


@pytest.fixture(scope="session")
def postgres_database():
    """This process's PostgreSQL database with the schema, made once and dropped at the
    end (the parametrised ``backend`` is set up again at each switch of backend: making
    the database each time took a minute and a half of the suite)."""
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
    yield
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def empty_postgres_tables() -> None:
    """Every table emptied and every id sequence restarted, in one round trip: ``DELETE``
    (children first) where the tables are small, which is most tests and three times as
    quick as ``TRUNCATE`` (that makes new files for every table and index), and
    ``TRUNCATE`` after a test that loaded thousands of rows, or for a table whose trigger
    refuses deletes (the append-only audit log)."""
    tables = [table.name for table in db.metadata.sorted_tables]
    names = ", ".join(f"'{name}'" for name in tables)
    children_first = ", ".join(f"'{name}'" for name in reversed(tables))
    quoted = ", ".join(f'"{name}"' for name in tables)
    block = f"""
        DO $$
        DECLARE name text; big boolean := false;
        BEGIN
          FOREACH name IN ARRAY ARRAY[{names}] LOOP
            EXECUTE 'SELECT EXISTS (SELECT 1 FROM ' || quote_ident(name) || ' OFFSET 2000)'
              INTO big;
            EXIT WHEN big;
          END LOOP;
          IF big THEN
            TRUNCATE {quoted} RESTART IDENTITY CASCADE;
          ELSE
            FOREACH name IN ARRAY ARRAY[{children_first}] LOOP
              IF EXISTS (SELECT 1 FROM pg_trigger
                         WHERE tgrelid = quote_ident(name)::regclass AND NOT tgisinternal) THEN
                EXECUTE 'TRUNCATE ' || quote_ident(name) || ' CASCADE';  -- append-only
              ELSE
                EXECUTE 'DELETE FROM ' || quote_ident(name);
              END IF;
            END LOOP;
            PERFORM setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass,
                           1, false)
              FROM pg_sequences WHERE schemaname = current_schema();
          END IF;
        END $$"""  # noqa: S608 (our own table names)
    with db.engine.begin() as connection:
        connection.exec_driver_sql(block)


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
            empty_postgres_tables()
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
