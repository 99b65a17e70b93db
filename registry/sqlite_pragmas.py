"""Connection settings of the embedded default database, a SQLite file.

The file is shared by the gunicorn workers, the estimation worker and the analytics
refresher. In SQLite's default rollback-journal mode an open read transaction holds back
every commit, and Python's default 5 s busy timeout then turns a clinic's save into
"database is locked". :func:`configure_sqlite` therefore gives every new connection to a
SQLite *file*:

* ``journal_mode=WAL``: a reader keeps its snapshot and never blocks the writer, and the
  writer never blocks readers (writers still take turns). The mode is stored in the file,
  so the ``sqlite3`` shell and the backup command see it too; the ``-wal`` and ``-shm``
  files next to the database belong to it (``instance/`` is never committed);
* ``synchronous=NORMAL``: with WAL a power cut may lose the last commits but never
  corrupts the file, and a commit is not an fsync;
* ``busy_timeout``: a writer waits up to ``SQLITE_BUSY_TIMEOUT_SECONDS`` for another
  writer before giving up, instead of 5 s.

Foreign keys stay unenforced, SQLite's default: migrations run on these connections in
Alembic's batch mode, which rebuilds a table by dropping it, and with enforcement on that
drop deletes the rows of every ``ON DELETE CASCADE`` child (``source_list_codes`` of
``source_lists``). PostgreSQL enforces them, and the test suite runs on both.

The file holds client-level data, so only its owner may read it: at start-up the
database file and its ``-wal`` and ``-shm`` files are set to mode 0600 and the instance
folder to 0700, and a database file that does not exist yet is created with mode 0600
just before SQLite opens it (SQLite gives the ``-wal`` and ``-shm`` files it creates the
mode of the database file).

In-memory databases (``sqlite://``) are left as they are: WAL does not apply to them.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import URL, event

log = logging.getLogger(__name__)


def configure_sqlite(app: Flask) -> None:
    """Install the pragmas above on every SQLite-file engine of ``app`` (after ``init_app``)."""
    from registry.extensions import db

    busy_timeout_ms = app.config["SQLITE_BUSY_TIMEOUT_SECONDS"] * 1000
    with app.app_context():
        engines = list(db.engines.values())
    protect_folder(app.instance_path)
    for engine in engines:
        if is_sqlite_file(engine.url):
            path = Path(engine.url.database or "")
            protect_database_file(path)
            event.listen(engine, "do_connect", _file_creator(path))
            event.listen(engine, "connect", _pragmas_setter(busy_timeout_ms))


#: Mode of the instance folder and of the database files: their owner only.
FOLDER_MODE, FILE_MODE = 0o700, 0o600
#: Files that belong to a SQLite database, besides the database file itself.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def protect_folder(path: str | Path) -> None:
    """Set an existing folder (the instance folder) to :data:`FOLDER_MODE`."""
    if Path(path).is_dir():
        _chmod(Path(path), FOLDER_MODE)


def protect_database_file(path: Path) -> None:
    """Set a SQLite file and its companion files, those that exist, to :data:`FILE_MODE`."""
    for name in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
        if name.is_file():
            _chmod(name, FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    """``chmod``, or a warning where the process may not (a file of another user)."""
    try:
        os.chmod(path, mode)
    except PermissionError:
        log.warning("cannot set the mode of %s to %o: set it by hand", path, mode)


def _file_creator(path: Path):
    """The ``do_connect`` listener: create a missing database file with :data:`FILE_MODE`."""

    def create_file(*_args: Any) -> None:
        # an existing file was protected at start-up; a missing folder: SQLite says so
        with contextlib.suppress(FileExistsError, FileNotFoundError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))

    return create_file


def is_sqlite_file(url: URL) -> bool:
    """Whether ``url`` names a SQLite database kept in a file (not in memory)."""
    if url.get_backend_name() != "sqlite":
        return False
    database = url.database or ""
    in_memory = database in ("", ":memory:") or url.query.get("mode") == "memory"
    return not in_memory


def _pragmas_setter(busy_timeout_ms: int):
    """The ``connect`` listener: set the pragmas on a new DB-API connection."""

    def set_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # first, so that switching to WAL waits for a writer of another process too
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":  # e.g. a file system without shared memory
                log.warning("SQLite stays in journal_mode=%s: readers will block writers", mode)
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    return set_pragmas
