"""The embedded database is readable by its owner only: files 0600, the instance folder 0700.

The default SQLite file holds client-level data; it and its ``-wal``/``-shm`` files used
to be created 0644 (world-readable) in a 0755 instance folder.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from registry import create_app
from registry.extensions import db
from tests.conftest import TEST_SECRETS

FILES = ("registry.sqlite3", "registry.sqlite3-wal", "registry.sqlite3-shm")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def instance(tmp_path, monkeypatch) -> Path:
    """An instance folder of this test (``REGISTRY_INSTANCE_PATH``), under a 022 umask."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("REGISTRY_INSTANCE_PATH", str(folder))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    old_umask = os.umask(0o022)
    yield folder
    os.umask(old_umask)


def write_once(app) -> dict[str, int]:
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        # the -wal and -shm files exist while a connection is open
        with db.engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM t"))
            modes = {name: mode(Path(app.instance_path) / name) for name in FILES}
        db.engine.dispose()
    return modes


def test_a_new_database_is_created_for_its_owner_only(instance):
    app = create_app(dict(TEST_SECRETS))
    assert app.instance_path == str(instance)
    modes = write_once(app)
    assert modes == dict.fromkeys(FILES, 0o600)
    assert mode(instance) == 0o700


def test_files_created_loosely_before_are_tightened_at_start_up(instance):
    instance.mkdir(mode=0o755)
    old = sqlite3.connect(instance / FILES[0])  # as an earlier version left them: 0644
    old.execute("PRAGMA journal_mode = WAL")
    old.execute("CREATE TABLE t (x INTEGER)")
    old.execute("INSERT INTO t VALUES (1)")
    old.commit()
    assert {mode(instance / name) for name in FILES} == {0o644}
    create_app(dict(TEST_SECRETS))
    assert {name: mode(instance / name) for name in FILES} == dict.fromkeys(FILES, 0o600)
    assert mode(instance) == 0o700
    old.close()
