"""On the embedded default's SQLite file, a long read never holds back a clinic's save.

The app here runs on a SQLite file only (WAL is a property of files; PostgreSQL readers
never blocked writers): this module's ``app`` fixture replaces the two-backend one. The
busy timeout is short, so a save that a reader did block would fail within seconds.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

from registry import create_app
from registry.config import ConfigError
from registry.extensions import db
from registry.models import TreatmentEpisode
from registry.schemas.clients import AdmissionSchema
from registry.services.episodes import admit_client
from tests.conftest import FAST_HASHES, TEST_SECRETS
from tests.registry.conftest import build_admission_form

BUSY_TIMEOUT_SECONDS = 2
SQLITE_NORMAL = 1  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL


def settings_for(url: str, **extra) -> dict:
    """Test settings of an app on the database ``url``."""
    return {"TESTING": True, "DATABASE_URL": url, **TEST_SECRETS, **FAST_HASHES, **extra}


@pytest.fixture
def database_path(tmp_path):
    """Path of this test's SQLite file."""
    return tmp_path / "registry.sqlite3"


@pytest.fixture
def app(database_path):
    """An app on a new SQLite file with every table (SQLite only, see the module doc)."""
    settings = settings_for(
        f"sqlite:///{database_path}", SQLITE_BUSY_TIMEOUT_SECONDS=BUSY_TIMEOUT_SECONDS
    )
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def pragmas(connection) -> dict:
    """The connection's journal mode, synchronous level, busy timeout and foreign keys."""
    names = ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
    return {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names}


def test_every_connection_of_the_app_uses_wal_and_the_busy_timeout(app):
    expected = {
        "journal_mode": "wal",
        "synchronous": SQLITE_NORMAL,
        "busy_timeout": BUSY_TIMEOUT_SECONDS * 1000,
        "foreign_keys": 0,  # see registry/sqlite_pragmas.py: batch migrations need it off
    }
    with app.app_context(), db.engine.connect() as first, db.engine.connect() as second:
        assert first.connection.dbapi_connection is not second.connection.dbapi_connection
        assert pragmas(first) == expected
        assert pragmas(second) == expected
        assert pragmas(db.session.connection()) == expected


def test_wal_is_stored_in_the_file(app, database_path):
    plain = sqlite3.connect(database_path)  # not through the app: no listener
    try:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        plain.close()


def test_the_busy_timeout_comes_from_the_environment(database_path, monkeypatch):
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_SECONDS", "7")
    app = create_app(settings_for(f"sqlite:///{database_path}"))
    with app.app_context(), db.engine.connect() as connection:
        assert pragmas(connection)["busy_timeout"] == 7000
    with app.app_context():
        db.engine.dispose()


def test_a_busy_timeout_that_is_not_a_whole_number_stops_start_up(database_path):
    with pytest.raises(ConfigError, match="SQLITE_BUSY_TIMEOUT_SECONDS must be a whole number"):
        create_app(settings_for(f"sqlite:///{database_path}", SQLITE_BUSY_TIMEOUT_SECONDS="soon"))


def test_an_in_memory_database_is_left_as_it_is():
    app = create_app(settings_for("sqlite://"))
    with app.app_context(), db.engine.connect() as connection:
        settings = pragmas(connection)
    assert settings["journal_mode"] == "memory"
    assert settings["busy_timeout"] == 5000  # Python's default: no listener was installed


def test_a_save_commits_while_a_long_read_is_open_and_the_reader_keeps_its_snapshot(
    app, db_session, actor, centre
):
    """The analytics refresher's read and a desk's admission, on two connections of the app.

    The reader's transaction stays open until after the save's commit, so the commit can
    only succeed if the reader does not block it: in rollback-journal mode it fails with
    "database is locked" once the busy timeout has passed.
    """
    staff, rnc = actor("clinic-bishkek"), centre("RNC")
    admit_client(AdmissionSchema().load(build_admission_form()), actor=staff, centre=rnc)
    db_session.commit()
    episodes = select(func.count()).select_from(TreatmentEpisode)

    with db.engine.connect() as reader:
        reader.exec_driver_sql("BEGIN")  # pysqlite would not begin before a SELECT
        assert len(reader.execute(select(TreatmentEpisode.id)).all()) == 1

        other_person = build_admission_form(family_name="Иванова", sex="F")
        episode = admit_client(AdmissionSchema().load(other_person), actor=staff, centre=rnc)
        db_session.commit()

        assert reader.scalar(episodes) == 1  # the snapshot of the open read transaction
        reader.rollback()
        assert reader.scalar(episodes) == 2
        assert episode.id in reader.scalars(select(TreatmentEpisode.id)).all()
